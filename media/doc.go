// Package media is Conclave's SFU: rooms of peers whose audio and video are forwarded, without
// transcoding, over Pion WebRTC PeerConnections that all share one UDP port.
//
// It knows nothing of users, permissions storage or signalling transport: the caller (the
// WebSocket signalling layer) joins a peer with the publish rights it has resolved, carries
// session descriptions both ways, and hears about tracks and statistics through callbacks in
// [Config].
//
// # Negotiation model
//
// Each peer has exactly one PeerConnection, negotiated with the W3C "perfect negotiation"
// pattern in which the server is always the impolite side:
//
//   - Subscribing: whenever tracks of other peers appear or disappear, the server adds or
//     removes sendonly transceivers and sends an offer through the peer's signal function
//     ([SignalOffer]); the client answers with [Peer.HandleAnswer]. While an offer is
//     outstanding further changes are batched into the next offer.
//   - Publishing: the client adds its tracks with addTransceiver(track, {direction:
//     "sendonly"}) (not addTrack, which may reuse a transceiver the server sends on) and
//     sends an offer with [Peer.HandleOffer], naming the source of each of its m-lines
//     (mid → microphone, camera, screen, screen_audio). The server answers through signal
//     ([SignalAnswer]).
//   - Glare: if the client's offer crosses an offer from the server, HandleOffer returns
//     [ErrGlare] and ignores it. The client, being polite, rolls back its offer when the
//     server's offer arrives, answers it, and offers again afterwards.
//
// Server session descriptions carry all of the server's ICE candidates (host candidates on the
// shared UDP port are known at once), so the server never trickles; the client may trickle its
// own with [Peer.AddICECandidate], before or after its description.
//
// The signal function is called from the peer's own goroutine, in order, and may be called
// before [SFU.Join] returns; it must not call back into the same Peer synchronously.
//
// # Tracks
//
// A subscriber sees each published track with the publisher's peer id as its MediaStream id
// and "<source>-<mid>" as its track id. A track is forwarded only if the publisher's
// [PublishRights] allow its kind and source; anything else is read and dropped, so a modified
// client gets nothing through. Revoking a right unpublishes the matching tracks at once.
//
// # Concurrency
//
// One goroutine owns each peer's PeerConnection state; room operations enqueue actions on the
// peers and never wait for them. Packets from a publisher are handed to each subscriber's
// bounded send queue without blocking, and each subscriber has its own writer goroutine, so a
// slow or dead subscriber loses its own packets (and asks for a keyframe) without delaying
// anybody else. Every PeerConnection has its own interceptor registry (NACK generator, RTCP
// reports, TWCC feedback, stats), and RTCP from every sender and receiver is read. A
// subscriber's NACKs are answered from its video track's shared cache of recent packets
// (nackcache.go), queued on that subscriber's send queue: Pion's own responder would keep a
// copy of every packet per subscriber.
//
// # Sinks
//
// A [Sink] (the recorder) gets a room's tracks without being a WebRTC peer, through
// [SFU.AttachSink]. It is fed by the same fan-out as the subscribers, after the same
// checks of rights, mute and payload type: each packet, decrypted, with its arrival time.
// A sink may be attached before anyone joins; the room then waits for its publishers.
//
// Each sink has its own bounded queue and its own goroutine, which makes every call to the
// sink and its [TrackSink]s, one at a time, in arrival order. The goroutine takes what is
// queued in batches, letting packets gather for Config.SinkBatch (10 ms) after each, so it
// wakes a hundred times a second rather than once per packet. A publisher never waits for a
// sink: when the queue is full the packet is lost for that sink alone and counted
// ([SinkTrack.Dropped]), and the publisher is not asked for a keyframe, since a recorder
// would rather mend a gap than cost every subscriber a keyframe. To mend it, the sink can
// ask for the missing packets with [SinkTrack.Retransmit], answered from the video track's
// shared packet cache into the sink's own queue, or for a keyframe with
// [SinkTrack.RequestKeyframe], which joins the subscribers' requests in the throttle
// towards the publisher. A sink that starts on a running video track gets no keyframe
// unless it asks.
//
// Outgoing datagrams are batched (batchconn.go): Pion encrypts and writes each packet through
// the ICE UDP mux, whose socket is wrapped. A write that finds nobody sending sends at once; a
// write that finds a send in progress queues a copy, and the sender takes the whole queue with
// sendmmsg, up to 64 datagrams per call. It never waits for a batch to fill, so a lightly
// loaded SFU sends each packet at once; under load, batches grow by themselves, and a full
// queue holds writers back as a blocking sendto would. [Config.NoBatch] turns this off (one
// syscall per datagram), for comparison.
package media
