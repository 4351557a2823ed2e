// Package record writes meetings to disk as WebM, without transcoding. It is a media sink
// (media.Sink) and knows nothing of users or SQL.
//
// The RTP side: per track, a [Reorder] buffer releases packets in sequence order, asking
// for the missing ones to be sent again from the SFU's cache and giving up on them after
// a bounded wait; an [Assembler] turns the ordered packets into VP8, VP9 or Opus frames,
// dropping those a lost packet spoilt, and video up to the next keyframe.
package record
