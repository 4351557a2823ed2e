package signal

import (
	"time"

	"conclave/core"
	"conclave/media"
)

// ReportTracks sets cfg's track callbacks so that the SFU tells core's registry which
// tracks each participant publishes and how they fare; core passes the changes on to the
// participant's connection (TracksChanged) and to watchers (the Live tab). The SFU knows
// a participant by its identity, which is its peer id.
//
// svc is looked up when a callback fires: main builds the SFU before core (core drives the
// recorder, which records from the SFU), and no track exists before a participant joins
// through the servers started once core exists.
func ReportTracks(svc func() *core.Service, cfg *media.Config) {
	cfg.OnTrackPublished = func(t media.TrackInfo) {
		svc().TrackPublished(t.Room, t.Peer, trackStat(media.TrackStats{TrackInfo: t}))
	}
	cfg.OnTrackUnpublished = func(t media.TrackInfo) { svc().TrackUnpublished(t.Room, t.Peer, t.TrackID) }
	cfg.OnStats = func(t media.TrackStats) { svc().TrackStats(t.Room, t.Peer, trackStat(t)) }
}

// trackStat turns the SFU's figures into core's.
func trackStat(t media.TrackStats) core.TrackStat {
	return core.TrackStat{
		TrackID: t.TrackID, Kind: t.Kind, Source: string(t.Source), MimeType: t.MimeType,
		Bitrate: t.Bitrate, Packets: t.Packets, PacketsLost: t.PacketsLost,
		JitterMs: float64(t.Jitter) / float64(time.Millisecond), NACKs: t.NACKs, PLIs: t.PLIs,
		Subscribers: t.Subscribers,
	}
}
