// Seeking in a replay (an endpoint with Runtime.recording): the time bar
// spans the whole recording, so a time picked there may be one the page
// holds no state for. Those are asked of the endpoint (REQUEST STATE with
// at_ts) and shown when the answer (CommandResponse.state) comes.
//
// One request is out at a time: dragging the slider asks for the time it
// was at when the previous answer came, then for where it is now, and an
// answer that is no longer wanted is still kept in the store (it is a state
// of the recording) but not shown.

export class Seeker {
  /**
   * store: the Store; request(at) sends REQUEST STATE at_ts = at and
   * resolves with the CommandResponse (rejects when not connected);
   * onChange(): the seek's status changed (see status()).
   */
  constructor({ store, request, onChange }) {
    this.store = store;
    this.request = request;
    this.onChange = onChange || (() => {});
    this.wanted = null;  // the time the user asked for last, while not shown yet
    this.inFlight = null; // the time of the request that is out
    this.error = '';
  }

  /** The recording's time span, {start, end}, or null when not replaying. */
  span() {
    const r = this.store.replay;
    if (!r) return null;
    const first = this.store.states.length ? this.store.states[0].ts : 0;
    const start = r.start_ts || first;
    const end = Math.max(r.end_ts || 0, start);
    return { start, end };
  }

  /** {pending: time or null, error: text}: what the time bar shows about the seek. */
  status() {
    return { pending: this.wanted, error: this.error };
  }

  /** Show the state at time ts: held, or asked for. */
  seekTo(ts) {
    const span = this.span();
    if (span) ts = Math.min(span.end, Math.max(span.start, Math.round(ts)));
    this.error = '';
    const i = this.store.heldAt(ts);
    if (i >= 0) {
      this.wanted = null;
      this.store.seek(i);
      this.onChange();
      return;
    }
    this.wanted = ts;
    this.onChange();
    if (this.inFlight === null) this.ask(ts);
  }

  /** Forget a seek that is still waiting (back to the replay's position, a new session). */
  cancel() {
    if (this.wanted === null && !this.error) return;
    this.wanted = null;
    this.error = '';
    this.onChange();
  }

  async ask(ts) {
    this.inFlight = ts;
    const replay = this.store.replay;
    let r = null;
    let failure = '';
    try {
      r = await this.request(ts);
    } catch (e) {
      failure = e.message || String(e);
    }
    this.inFlight = null;
    // The store holds another session by now (a file opened, another host): the answer is not of it.
    if (this.store.replay !== replay) {
      this.wanted = null;
      this.onChange();
      return;
    }
    if (r && r.state) {
      const index = this.store.addAnswer(ts, r.state);
      if (this.wanted === ts) {
        this.wanted = null;
        if (index >= 0) this.store.seek(index);
        this.onChange();
        return;
      }
    } else if (this.wanted === ts) {
      this.wanted = null;
      this.error = failure || (r && r.error) || 'the endpoint sent no state for that time';
      this.onChange();
      return;
    }
    // The user moved on meanwhile: the newest wish, unless held by now.
    if (this.wanted !== null) this.seekTo(this.wanted);
  }
}
