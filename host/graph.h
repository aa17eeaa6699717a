/*
 * graph.h - the pipeline as a graph (connectors and topics as nodes,
 * data flow as edges) printed as Graphviz DOT, from the connector files
 * alone: `sluice graph`. The pipeline page draws the same graph from the
 * running worker's GET /sluice/pipeline.
 */
#ifndef SLUICE_GRAPH_H
#define SLUICE_GRAPH_H

#include <stdio.h>

#include "config.h"
#include "loader.h"

/* Connectors in list order, then topics in order of first appearance
 * (inputs, outputs, dead-letter topic of each connector), then edges:
 * topic -> connector for each input, connector -> topic for each output
 * (labelled with the output's name when there are several), dashed to
 * the dead-letter topic. Plugins give each connector its kind. */
void graph_dot(FILE *out, const struct connector_list *l,
	       const struct plugin_registry *reg);

#endif
