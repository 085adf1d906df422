/* sr_zoo.h: the built-in model zoo (shapes and costs; weights come from sr_weights).
 *
 * Models: vgg16, alexnet, resnet50, resnet152, mobilenetv2 (torchvision definitions), yolov2 (darknet
 * yolov2.cfg at 416), tiny-yolov2 (darknet yolov2-tiny.cfg), sine (1->16->16->1 MLP of the TinyML sine
 * example). Any input resolution: c/h/w of 0 take the model's default. */
#ifndef SR_ZOO_H
#define SR_ZOO_H

#include "sr_graph.h"

/* Builds and infers model `name` at input c x h x w (batch 1). SR_ERR_NOT_FOUND for an unknown name,
 * SR_ERR_SHAPE when the resolution is too small for the model. Caller frees *out. */
sr_status sr_zoo_build(const char *name, int c, int h, int w, sr_graph **out);

/* Number of zoo models and their names/default inputs, for listings and validation. */
int sr_zoo_count(void);
const char *sr_zoo_name(int i);
void sr_zoo_default_input(int i, int *c, int *h, int *w);
/* One-line description with the source of the definition. */
const char *sr_zoo_description(int i);

/* As sr_zoo_build, and on failure writes a message into err (NUL-terminated; may be NULL), e.g. which
 * node a too-small resolution breaks. */
sr_status sr_zoo_build_err(const char *name, int c, int h, int w, sr_graph **out, char *err, size_t err_size);

#endif
