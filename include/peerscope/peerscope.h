/*
 * peerscope: live introspection for peer-to-peer hosts.
 * The umbrella header: include this one.
 */
#ifndef PEERSCOPE_H
#define PEERSCOPE_H

#include "peerscope/common.h"
#include "peerscope/version.h"
#include "peerscope/model.h"
#include "peerscope/message.h"
#include "peerscope/introspector.h"
#include "peerscope/provider.h"
#include "peerscope/table.h"
#include "peerscope/recorder.h"
#include "peerscope/replay.h"
#include "peerscope/counter.h"
#include "peerscope/event.h"
#include "peerscope/peerid.h"
#include "peerscope/wire.h"
#include "peerscope/endpoint.h"
#include "peerscope/ws.h"
#include "peerscope/analyze.h"

#endif
