/* Bounds of the simulation's configuration, shared by the flag parser. */
#ifndef DEMO_SIM_LIMITS_H
#define DEMO_SIM_LIMITS_H

#define SIM_MAX_PEERS 20000u
#define SIM_MAX_CONNS 5000u
#define SIM_MAX_STREAMS 64u
#define SIM_MAX_TOPICS 1000u
/* connections per minute */
#define SIM_MAX_CHURN 60000.0
/* events per second */
#define SIM_MAX_EVENT_RATE 1000.0
/* events paid for by --event-rate in one tick, at most */
#define SIM_MAX_EVENTS_PER_TICK 200u

#endif
