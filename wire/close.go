package wire

import (
	"strconv"
	"strings"
)

// resumeMarker precedes the height in a close reason that tells the client
// where to resume.
const resumeMarker = "resume with " + ParamFromHeight + "="

// ResumeReason is the reason of a 1001 or 1008 close frame: why, then
// "; resume with from_height=<h>", the height of the first block the
// subscriber has not been sent. With h < 1 it is why alone.
func ResumeReason(why string, h int64) string {
	if h < 1 {
		return why
	}
	return why + "; " + resumeMarker + strconv.FormatInt(h, 10)
}

// ParseResumeHeight is the height ending a close reason made by
// ResumeReason, and whether there is one: the reason must end with
// "resume with from_height=<h>", h a valid height (see ParseHeight).
func ParseResumeHeight(reason string) (int64, bool) {
	i := strings.LastIndex(reason, resumeMarker)
	if i < 0 {
		return 0, false
	}
	return ParseHeight(reason[i+len(resumeMarker):])
}
