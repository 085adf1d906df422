/* sr_policy_list.h: the built-in policies, one line each (X-macro over the ops object's suffix:
 * SR_POLICY(foo) is `sr_policy_foo`, defined in policies/foo.c). The order is the order of
 * `simrun list policies` and of the reference. */
SR_POLICY(cloud_only)
SR_POLICY(device_only)
SR_POLICY(split)
SR_POLICY(best_split)
SR_POLICY(dynamic_split)
SR_POLICY(rollout)
SR_POLICY(pipeline)
SR_POLICY(parallel)
SR_POLICY(partition_search)
SR_POLICY(knowledge_loop)
SR_POLICY(insitu)
