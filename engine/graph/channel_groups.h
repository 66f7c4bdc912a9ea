/* Channel groups: the sets of tensors that must keep the same channel count,
 * and so the unit of channel pruning (DESIGN.md, "Channel group"). The
 * profiler enumerates them to measure layers at each input/output keep, the
 * planner gives each one keep variable y[g, k], and engine/compress.h prunes
 * them.
 *
 * Every node's output tensor belongs to exactly one group. Tensors are joined
 * (union-find over the graph) when one node passes its input's channels
 * through to its output:
 *   - relu, relu6, clip, batchnorm, max/avg pool, global pool, softmax;
 *   - flatten: the C channels of a (C, H, W) tensor become C * H * W
 *     features, channel c being features [c*H*W, (c+1)*H*W);
 *   - add: both inputs and the output;
 *   - a depthwise conv (groups == input channels == output channels): its
 *     input and output, so it inherits its producer's keep (MobileNet).
 * Every other conv2d and every fc starts a new group: it is that group's
 * producer, and a consumer of the group of its input.
 *
 * For a layer l of the planner: keep_out(l) is the keep of group_of[l], and
 * keep_in(l) that of group_of[l's input] (sp_channel_group_of_input); both
 * are the same group for a depthwise conv and the pass-through ops. */
#ifndef SP_CHANNEL_GROUPS_H
#define SP_CHANNEL_GROUPS_H

#include "engine/graph/graph.h"

typedef struct sp_channel_group {
  int id;                    /* index in sp_channel_groups.groups */
  int channels;              /* C: the producers' output channels (the input's for
                                group 0); a flattened member holds C * H * W values */
  char name[SP_NAME_MAX];    /* representative: the first producer's name, "input"
                                for the network input's group */
  int prunable;              /* 1 when channel pruning may change C */
  char why_not[128];         /* when not prunable: the first reason, naming the
                                layer at fault ("it is joined by the residual add
                                layer1.0.add"); "" when prunable */
  int n_members, *members;   /* nodes whose output is in the group, graph order */
  int n_producers, *producers; /* conv2d/fc members that create the channels */
  int n_consumers, *consumers; /* conv2d/fc non-members reading a member, graph order */
} sp_channel_group;

typedef struct sp_channel_groups {
  int n_groups;
  sp_channel_group *groups;  /* ordered by their first member: group 0 holds the input */
  int n_nodes;
  int *group_of;             /* per node: the group of its output tensor */
} sp_channel_groups;

/* Computes the groups of g. A group is prunable unless it
 *   - holds the network input (node 0),
 *   - holds the graph output (the classifier's units are fixed),
 *   - contains an add (residual-stage outputs: in ResNet only the inner
 *     conv of each block is prunable),
 *   - contains a softmax,
 *   - is produced or read by a grouped, non-depthwise conv,
 *   - or has a member whose width is not a multiple of C.
 * Free with sp_channel_groups_free. SP_ERR_RUNTIME when out of memory. */
sp_status sp_channel_groups_compute(const sp_graph *g, sp_channel_groups *out);

void sp_channel_groups_free(sp_channel_groups *cg);

/* The group of node `node`'s first input (-1 for the input node). */
int sp_channel_group_of_input(const sp_channel_groups *cg, const sp_graph *g, int node);

/* Whether `node` is a depthwise conv that passes its group through. */
int sp_channel_is_depthwise(const sp_graph *g, const sp_node *n);

/* Channels kept when a group of C channels is pruned to keep fraction k in
 * (0, 1]:
 *   r      = floor(k * C + 0.5)            (k * C rounded, halves up)
 *   n      = 4 * floor((r + 2) / 4)        (r to the nearest multiple of 4,
 *                                           halves up: 6 -> 8, 5 -> 4)
 *   n_keep = min(max(n, 4), C)
 * So n_keep is a multiple of 4 unless it is C itself (C < 4, or C not a
 * multiple of 4 and k close to 1); e.g. C = 64: k 0.5 -> 32, 0.3 -> 20
 * (19.2 -> 19 -> 20); C = 10: k 0.5 -> 4, 0.6 -> 8. */
int sp_channel_keep_count(int channels, double keep);

#endif
