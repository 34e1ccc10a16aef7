// @topolab/protocol: the contract between the topolab server and the web app. Pure, no I/O;
// the browser imports it. See docs/protocol.md.
//
// events.ts   every socket.io event both ways, acks, protocol version, limits
// changes.ts  edits as data, and applyChanges(lab, changes) -> the next document
// issues.ts   problems placed on the node or link they concern
// views.ts    labs, status, command log, templates and terminals as the server sends them
// live.ts     the kernel's live state: snapshot, versioned events, drift
// inspect.ts  a node read in full (live:inspect): interfaces, routes, sockets, a switch's ports and MACs
// exercise.ts an exercise's checks and their live results
// class.ts    classes: the instructor's grid, a student's view, joining
// trace.ts    a trace: hops on the lab's links and where it stopped
// pingall.ts  what each pair of ping all saw, and one pair pinged again

export * from "./events";
export * from "./changes";
export * from "./issues";
export * from "./views";
export * from "./live";
export * from "./inspect";
export * from "./exercise";
export * from "./class";
export * from "./trace";
export * from "./pingall";
