/* sr_policy_list.h: the built-in policies, one line each (X-macro over the ops object's suffix:
 * SR_POLICY(foo) is `sr_policy_foo`, defined in policies/foo.c). The order is the order of
 * `simrun list policies` and of the reference. */
SR_POLICY(cloud_only)
SR_POLICY(device_only)
SR_POLICY(split)
SR_POLICY(insitu)
