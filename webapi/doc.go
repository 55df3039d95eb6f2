// Package webapi runs the node's Web API HTTP server (port 9984 by default):
// the API root documents that advertise the event streams, and the routes
// other packages register on it. Every response, errors included, is JSON.
package webapi
