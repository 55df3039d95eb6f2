// Package explorer is the node's live page of its event stream: static
// files (HTML, CSS and a script, embedded, no build step and no CDN) that a
// browser loads from the Web API and that read the streams themselves,
// over WebSocket or Server-Sent Events, resuming after every drop with
// nothing lost or repeated. The handler serves the files and a config
// document naming the stream's base URL; it has no state and does no work
// per stream event, so a page open in any number of browsers costs the
// node what as many stream subscribers cost, and nothing on the consensus
// path.
package explorer
