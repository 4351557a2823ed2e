#!/usr/bin/env python3
"""Builds web/openapi.json, Conclave's OpenAPI 3.1 document (go generate ./web).

The OpenVidu-compatible operations are taken from OpenVidu Meet 3.9's own description
(../shared/reference/openvidu-meet-openapi/{public,internal}.json, or $OPENVIDU_OPENAPI),
with Conclave's differences applied and stated in each operation's description; Conclave's
extensions are described here. The tests in openapi_test.go check that the document lists
exactly the routes the server registers and that every answer of web's tests validates.
"""
import copy, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.environ.get("OPENVIDU_OPENAPI", os.path.join(HERE, "..", "..", "shared", "reference", "openvidu-meet-openapi"))
PUB, IN = "/api/v1", "/internal-api/v1"

pub = json.load(open(os.path.join(REF, "public.json")))
internal = json.load(open(os.path.join(REF, "internal.json")))

doc = {
    "openapi": "3.1.0",
    "info": {
        "title": "Conclave REST API",
        "version": "1.0.0",
        "description": "Conclave's REST API: OpenVidu Meet 3.9's public (`/api/v1`) and internal "
        "(`/internal-api/v1`) APIs, wire-compatible, plus Conclave's extensions (operations tagged "
        "`Conclave`). Paths are relative to the server's base path (`/meet` by default). Where an "
        "OpenVidu-compatible operation answers differently from OpenVidu Meet, its description says so "
        "under 'Conclave:'. Every operation may also answer the generic error shape "
        "(`default` response), for example 405, 408, 413 or 429. Not described here: `GET /metrics` at the "
        "server's root, outside the base path (Prometheus's text exposition format, for API keys and admins), "
        "and the HTML pages and static files (the room, recordings and recording-player pages, the client).",
        "license": {"name": "OpenVidu Meet parts: Apache-2.0"},
    },
    "servers": [{"url": "/meet", "description": "the server's base path"}],
    "tags": [],
    "paths": {},
    "components": copy.deepcopy(pub["components"]),
}
for kind, items in internal["components"].items():
    dst = doc["components"].setdefault(kind, {})
    for name, v in items.items():
        dst.setdefault(name, v)
tags = {}
for d in (pub, internal):
    for t in d.get("tags", []):
        tags.setdefault(t["name"], t)
tags["Conclave"] = {"name": "Conclave", "description": "Conclave's extensions to OpenVidu Meet's API."}
doc["tags"] = list(tags.values())

S = doc["components"]["schemas"]
# A bundling slip of the reference: some schemas carry copies of other schemas as
# sibling keys (not valid JSON Schema); the named schemas exist at the top level.
for v in S.values():
    for k in [k for k in v if k in S]:
        del v[k]
ERR = {"$ref": "#/components/schemas/error"}


def resp(desc, schema=None, ctype="application/json"):
    r = {"description": desc}
    if schema is not None:
        r["content"] = {ctype: {"schema": schema}}
    return r


def err(desc):
    return resp(desc, ERR)


def op(opid, summary, desc, security, responses, params=None, body=None, tag="Conclave"):
    o = {"operationId": opid, "summary": summary, "description": desc, "tags": [tag]}
    if security is not None:
        o["security"] = security
    if params:
        o["parameters"] = params
    if body is not None:
        o["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    o["responses"] = responses
    return o


def pathp(name, desc):
    return {"name": name, "in": "path", "required": True, "description": desc, "schema": {"type": "string"}}


def queryp(name, desc, schema=None):
    return {"name": name, "in": "query", "required": False, "description": desc, "schema": schema or {"type": "string"}}


API = [{"apiKeyHeader": []}, {"accessTokenHeader": []}]
APIM = API + [{"roomMemberTokenHeader": []}]
NONE = [{}]
ROOM = pathp("roomId", "The room's id.")
REC = pathp("recordingId", "The recording's id.")
LINK = pathp("linkId", "The share link's id.")
PAGE = [queryp("maxItems", "Items per page.", {"type": "integer", "minimum": 1, "maximum": 100}),
        queryp("nextPageToken", "The token of the next page, from the previous page's pagination.")]
PAGINATION = {"$ref": "#/components/schemas/meet-pagination"}
NULLINT = {"type": ["integer", "null"]}
NULLSTR = {"type": ["string", "null"]}
MSG = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}

# Conclave's own schemas.
S["conclave-meeting"] = {
    "type": "object", "description": "A meeting of a room's history (docs/rest-extensions.md).",
    "required": ["meetingId", "roomId", "startDate", "participants"],
    "properties": {
        "meetingId": {"type": "string"}, "roomId": {"type": "string"}, "roomName": {"type": "string"},
        "startDate": {"type": "integer"}, "endDate": NULLINT,
        "participants": {"type": "array", "items": {"type": "object",
            "required": ["participantIdentity", "joinedAt"],
            "properties": {"participantIdentity": {"type": "string"}, "participantName": {"type": "string"},
                           "role": {"type": "string"}, "joinedAt": {"type": "integer"}, "leftAt": NULLINT,
                           "source": {"type": "string"}, "device": {"type": "string"}}}},
    },
}
S["conclave-share-link"] = {
    "type": "object", "description": "A share link of a recording (docs/recording-access.md). `secret` and `url` "
    "are only in the answer that creates the link.",
    "required": ["linkId", "recordingId", "access", "allowDownload", "passwordProtected", "expiresAt", "maxUses",
                 "uses", "createdAt", "createdBy", "state"],
    "properties": {
        "linkId": {"type": "string"}, "recordingId": {"type": "string"},
        "access": {"type": "string", "enum": ["public", "private"]},
        "allowDownload": {"type": "boolean"}, "passwordProtected": {"type": "boolean"},
        "expiresAt": NULLINT, "maxUses": NULLINT, "uses": {"type": "integer"}, "lastUsed": NULLINT,
        "createdAt": {"type": "integer"}, "createdBy": {"type": "string"}, "revokedAt": NULLINT,
        "state": {"type": "string"}, "origin": {"type": "string"},
        "secret": {"type": "string"}, "url": {"type": "string"},
    },
}
S["conclave-access-entry"] = {
    "type": "object", "description": "An entry of the recordings' access log (docs/recording-access.md).",
    "required": ["id", "time", "recordingId", "action", "actor", "actorKind", "outcome"],
    "properties": {"id": {"type": "integer"}, "time": {"type": "integer"}, "recordingId": {"type": "string"},
                   "roomId": {"type": "string"}, "action": {"type": "string"}, "actor": {"type": "string"},
                   "actorKind": {"type": "string"}, "linkId": {"type": "string"}, "outcome": {"type": "string"},
                   "source": {"type": "string"}, "device": {"type": "string"}, "detail": {"type": "string"}},
}
S["conclave-recording-switch"] = {
    "type": "object", "required": ["enabled"], "properties": {"enabled": {"type": "boolean"}},
    "description": "The server's recording switch.",
}
FIG = {"type": "object", "required": ["bytes", "trashBytes", "recordings", "trash"],
       "properties": {"bytes": {"type": "integer"}, "trashBytes": {"type": "integer"},
                      "recordings": {"type": "object", "description": "Recordings by status.",
                                     "additionalProperties": {"type": "integer"}},
                      "trash": {"type": "integer", "description": "Recordings in the trash."}}}
S["conclave-storage"] = {
    "type": "object", "description": "Recording storage: bytes used (in all and per room), by status, and free on the disk.",
    "required": ["total", "rooms", "freeBytes", "minFreeDisk"],
    "properties": {"total": FIG,
                   "rooms": {"type": "array", "items": {"allOf": [FIG, {"type": "object", "required": ["roomId"], "properties": {
                       "roomId": {"type": "string"}, "roomName": {"type": "string"}}}]}},
                   "freeBytes": {"type": ["integer", "null"]}, "minFreeDisk": {"type": "integer"}},
}
S["conclave-timeline"] = {
    "type": "object", "description": "A recording's timeline for the player (docs/recording-player.md). Times are "
    "seconds from the recording's start, dates epoch milliseconds, urls paths on this server.",
    "required": ["recordingId", "roomId", "status", "streams", "participants", "speakingKnown"],
    "properties": {
        "recordingId": {"type": "string"}, "roomId": {"type": "string"}, "roomName": {"type": "string"},
        "status": {"type": "string"}, "startDate": NULLINT, "endDate": NULLINT, "duration": {"type": "number"},
        "mainMediaUrl": {"type": "string"},
        "streams": {"type": "array", "items": {"type": "object", "required": ["index", "kind", "offset", "duration"], "properties": {
            "index": {"type": "integer"}, "identity": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
            "offset": {"type": "number"}, "duration": {"type": "number"}, "size": {"type": "integer"},
            "codecs": {"type": "array", "items": {"type": "string"}}, "mediaUrl": {"type": "string"}}}},
        "participants": {"type": "array", "items": {"type": "object", "required": ["identity", "present"], "properties": {
            "identity": {"type": "string"}, "name": {"type": "string"}, "role": {"type": "string"},
            "present": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
            "speaking": {"type": ["array", "null"], "items": {"type": "array", "items": {"type": "number"}}},
            "speakingTruncated": {"type": "boolean"}}}},
        "speakingKnown": {"type": "boolean"},
        "download": {"type": "object", "required": ["allowed"], "properties": {"allowed": {"type": "boolean"}, "url": {"type": "string"}}},
        "others": {"type": "object", "required": ["allowed"], "properties": {"allowed": {"type": "boolean"}, "more": {"type": "boolean"},
                                                                        "recordings": {"type": "array", "items": {"type": "object"}}}},
    },
}
S["conclave-health"] = {"type": "object", "description": "The server's health.", "required": ["status"],
                        "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]}}}
S["conclave-trashed-recording"] = {"allOf": [{"$ref": "#/components/schemas/meet-recording"}, {
    "type": "object", "required": ["trashedAt", "trashedBy", "purgeAt"],
    "properties": {"trashedAt": {"type": "integer"}, "trashedBy": {"type": "string"}, "purgeAt": {"type": "integer"}}}],
    "description": "A recording in the trash (docs/recordings-trash.md): the recording with when, by whom, and until when."}
S["conclave-shared-recording"] = {
    "type": "object", "description": "A recording opened through a share link (docs/recording-access.md).",
    "required": ["recording", "link", "token", "tokenExpiresAt", "mediaUrl", "streams", "downloadUrl", "zipUrl"],
    "properties": {
        "recording": {"$ref": "#/components/schemas/meet-recording"},
        "link": {"type": "object", "required": ["linkId", "access", "allowDownload"], "properties": {
            "linkId": {"type": "string"}, "access": {"type": "string"}, "allowDownload": {"type": "boolean"},
            "expiresAt": NULLINT, "maxUses": NULLINT, "uses": {"type": "integer"}}},
        "token": {"type": "string"}, "tokenExpiresAt": {"type": "integer"}, "mediaUrl": {"type": "string"},
        "streams": {"type": "array", "items": {"type": "object", "required": ["index", "mediaUrl"], "properties": {
            "index": {"type": "integer"}, "mediaUrl": {"type": "string"}, "downloadUrl": {"type": "string"}}}},
        "downloadUrl": NULLSTR, "zipUrl": NULLSTR,
    },
}

# The routes the server registers: (method, path, where) — where is ("pub"|"in", ref path)
# for an OpenVidu-compatible operation, or an operation object for an extension.
EXT = {
    ("GET", "/health"): op("getHealth", "Health check", "Answers 200 while the server and its database work.",
                           NONE, {"200": resp("The server works.", S["conclave-health"]), "503": resp("The database does not answer: `{\"status\": \"unavailable\"}`.", S["conclave-health"])}),
    ("GET", "/ws"): op("signalling", "Signalling WebSocket",
                       "Upgrades to the signalling WebSocket of a meeting (docs/signalling.md), authenticated by the "
                       "room-member token in the `token` query parameter.", NONE,
                       {"101": resp("Switching to the WebSocket protocol."), "400": err("Not a WebSocket upgrade."),
                        "401": err("Missing or invalid token.")},
                       params=[queryp("token", "A room-member token."), queryp("resume", "A resume secret.")]),
    ("GET", PUB + "/openapi.json"): op("getOpenAPI", "This document", "Conclave's OpenAPI 3.1 document.", NONE,
                                       {"200": resp("The document.", {"type": "object"})}),
    ("PUT", PUB + "/rooms/{roomId}/name"): op("renameRoom", "Rename a room", "Changes a room's name (docs/rest-extensions.md); answers the room.", API,
                                             {"200": resp("The renamed room.", {"$ref": "#/components/schemas/meet-room"})},
                                             params=[ROOM], body={"type": "object", "required": ["roomName"], "properties": {"roomName": {"type": "string"}}}),
    ("GET", PUB + "/rooms/{roomId}/meetings"): op("getRoomMeetings", "A room's meeting history", "Lists the room's meetings, newest first.", API,
                                                 {"200": resp("The meetings.", {"type": "object", "required": ["meetings", "pagination"], "properties": {
                                                     "meetings": {"type": "array", "items": {"$ref": "#/components/schemas/conclave-meeting"}}, "pagination": PAGINATION}})},
                                                 params=[ROOM] + PAGE),
    ("POST", PUB + "/rooms/{roomId}/access/regenerate"): op("regenerateRoomAccess", "Regenerate access links",
                                                           "Replaces the room's access-link secrets; old links stop working.", API,
                                                           {"200": resp("The room with its new links.", {"$ref": "#/components/schemas/meet-room"})}, params=[ROOM]),
    ("DELETE", IN + "/api-keys/{keyId}"): op("deleteApiKey", "Delete an API key", "Revokes one API key.", API,
                                            {"200": resp("Deleted.", MSG), "204": resp("Deleted.")}, params=[pathp("keyId", "The key's id.")]),
    ("GET", PUB + "/recordings/trash"): op("getRecordingsTrash", "Recordings in the trash", "Lists deleted recordings kept for restore (docs/recordings-trash.md).", API,
                                          {"200": resp("The recordings in the trash.", {"type": "object", "required": ["recordings", "pagination"], "properties": {
                                              "recordings": {"type": "array", "items": {"$ref": "#/components/schemas/conclave-trashed-recording"}}, "pagination": PAGINATION}})}, params=PAGE),
    ("POST", PUB + "/recordings/{recordingId}/restore"): op("restoreRecording", "Restore a recording", "Takes a recording out of the trash.", APIM,
                                                           {"200": resp("The restored recording.", {"$ref": "#/components/schemas/meet-recording"})}, params=[REC]),
    ("GET", IN + "/recordings/storage"): op("getRecordingStorage", "Recording storage", "Bytes used by recordings and free on their disk.", API,
                                           {"200": resp("Storage.", S["conclave-storage"])}),
    ("GET", IN + "/config/recording"): op("getRecordingSwitch", "Recording switch", "Whether the server records.", API,
                                         {"200": resp("The switch.", {"$ref": "#/components/schemas/conclave-recording-switch"})}),
    ("PUT", IN + "/config/recording"): op("setRecordingSwitch", "Set the recording switch", "Turns recording on or off for the whole server (admins).", API,
                                         {"200": resp("The switch.", {"$ref": "#/components/schemas/conclave-recording-switch"})},
                                         body={"$ref": "#/components/schemas/conclave-recording-switch"}),
    ("POST", IN + "/meetings/{roomId}/participants/{participantIdentity}/mute"): op(
        "muteParticipant", "Mute a participant", "Asks a participant's tracks to be muted (moderators).", APIM,
        {"200": resp("Muted.", MSG)}, params=[ROOM, pathp("participantIdentity", "The participant's identity.")]),
    ("GET", PUB + "/recordings/{recordingId}/timeline"): op("getRecordingTimeline", "A recording's timeline", "Streams, offsets and events for the player (docs/recording-player.md).",
                                                           APIM, {"200": resp("The timeline.", S["conclave-timeline"])}, params=[REC]),
    ("POST", PUB + "/recordings/{recordingId}/shares"): op("createShareLink", "Create a share link", "Creates a share link of a recording (docs/recording-access.md).", APIM,
                                                          {"201": resp("The link, with its url (shown once).", {"$ref": "#/components/schemas/conclave-share-link"})}, params=[REC],
                                                          body={"type": "object", "properties": {"access": {"type": "string", "enum": ["public", "private"]}, "password": {"type": "string"},
                                                                                                 "expiresAt": {"type": "integer"}, "allowDownload": {"type": "boolean"}, "maxUses": {"type": "integer"}}}),
    ("GET", PUB + "/recordings/{recordingId}/shares"): op("getShareLinks", "A recording's share links", "Lists a recording's share links.", APIM,
                                                         {"200": resp("The links.", {"type": "object", "required": ["shares"], "properties": {
                                                             "shares": {"type": "array", "items": {"$ref": "#/components/schemas/conclave-share-link"}}, "pagination": PAGINATION}})}, params=[REC] + PAGE),
    ("DELETE", PUB + "/recordings/{recordingId}/shares"): op("revokeShareLinks", "Revoke all share links", "Revokes every share link of a recording.", APIM,
                                                            {"200": resp("Revoked.", {"type": "object", "required": ["message", "revoked"], "properties": {"message": {"type": "string"}, "revoked": {"type": "integer"}}})}, params=[REC]),
    ("DELETE", PUB + "/recordings/{recordingId}/shares/{linkId}"): op("revokeShareLink", "Revoke a share link", "Revokes one share link.", APIM,
                                                                     {"200": resp("Revoked.", MSG)}, params=[REC, LINK]),
    ("GET", PUB + "/recordings/{recordingId}/access-log"): op("getRecordingAccessLog", "A recording's access log", "Who opened, played and downloaded the recording.", API,
                                                             {"200": resp("The entries.", {"type": "object", "required": ["entries"], "properties": {
                                                                 "entries": {"type": "array", "items": {"$ref": "#/components/schemas/conclave-access-entry"}}, "pagination": PAGINATION}})}, params=[REC] + PAGE),
    ("GET", PUB + "/access-log"): op("getAccessLog", "The recordings' access log", "The access log of all recordings (admins).", API,
                                    {"200": resp("The entries.", {"type": "object", "required": ["entries"], "properties": {
                                        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/conclave-access-entry"}}, "pagination": PAGINATION}})}, params=PAGE),
    ("GET", PUB + "/shared-recordings/{linkId}"): op("openShareLink", "Open a share link", "Checks a share link's secret (and password) and answers the recording with a viewing token.",
                                                    [{}, {"accessTokenHeader": []}], {"200": resp("The recording, the link and a viewing token.", {"$ref": "#/components/schemas/conclave-shared-recording"})}, params=[LINK, queryp("secret", "The link's secret.")]),
    ("GET", PUB + "/shared-recordings/{linkId}/media"): op("getSharedMedia", "Shared recording media", "A shared recording's media, with byte ranges.", NONE,
                                                          {"200": resp("The media.", {"type": "string", "format": "binary"}, "video/webm"),
                                                           "206": resp("A range of the media.", {"type": "string", "format": "binary"}, "video/webm")},
                                                          params=[LINK, queryp("token", "The viewing token."), queryp("stream", "The stream's index.", {"type": "integer"})]),
    ("GET", PUB + "/shared-recordings/{linkId}/download"): op("getSharedDownload", "Download a shared recording", "A shared recording's file(s), when the link allows downloads.", NONE,
                                                             {"200": {"description": "The file or a zip.", "content": {"video/webm": {"schema": {"type": "string", "format": "binary"}},
                                                                                                                        "application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
                                                             params=[LINK, queryp("token", "The viewing token.")]),
}

# Webhooks (docs/webhooks.md) and the log export: Conclave's extensions beside OpenVidu
# Meet's /config/webhooks and /analytics, which come from the reference.
S["conclave-webhook-delivery"] = {
    "type": "object", "description": "A webhook event in the delivery queue, with its outcome.",
    "required": ["id", "event", "creationDate", "status", "attempts"],
    "properties": {"id": {"type": "integer"}, "event": {"type": "string"}, "creationDate": {"type": "integer"},
                   "status": {"type": "string", "enum": ["pending", "delivered", "failed", "dropped"]},
                   "attempts": {"type": "integer"}, "url": {"type": "string"}, "statusCode": {"type": ["integer", "null"]},
                   "error": {"type": ["string", "null"]}, "latencyMs": {"type": ["integer", "null"]},
                   "updatedAt": {"type": ["integer", "null"]}, "nextAttempt": {"type": ["integer", "null"]}},
}
SECRET = {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string"}}}
EXT.update({
    ("GET", IN + "/config/webhooks/secret"): op("getWebhookSecret", "The webhook secret",
        "The secret `X-Signature` is keyed with (admins; audited). Without a dedicated secret, the oldest active API key signs.",
        [{"apiKeyHeader": []}, {"accessTokenHeader": []}], {"200": resp("The secret.", SECRET)}),
    ("PUT", IN + "/config/webhooks/secret"): op("setWebhookSecret", "Set the webhook secret",
        "Sets the webhook secret, or makes a new random one when the body has none (admins; audited).",
        [{"apiKeyHeader": []}, {"accessTokenHeader": []}], {"200": resp("The secret now in use.", SECRET)},
        body={"type": "object", "properties": {"secret": {"type": "string"}}}),
    ("GET", IN + "/config/webhooks/deliveries"): op("getWebhookDeliveries", "Webhook deliveries",
        "The delivery queue, newest first, each event with its outcome, and the counts by status (admins).",
        [{"apiKeyHeader": []}, {"accessTokenHeader": []}],
        {"200": resp("The deliveries.", {"type": "object", "required": ["deliveries", "counts", "pagination"], "properties": {
            "deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/conclave-webhook-delivery"}},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"},
                       "properties": {k: {"type": "integer"} for k in ["pending", "delivered", "failed", "dropped"]}},
            "pagination": PAGINATION}})}, params=PAGE),
    ("GET", IN + "/audit/export"): op("exportLog", "Export the audit or access log",
        "Streams the audit log, or with `log=access` the recordings' access log, oldest first, as JSON lines or CSV "
        "(admins). Bad parameters are a 422 before anything is sent; a failure half-way cuts the response off.",
        [{"apiKeyHeader": []}, {"accessTokenHeader": []}],
        {"200": {"description": "The log, one entry per line.", "content": {
            "application/x-ndjson": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}}}},
        params=[queryp("log", "Which log.", {"type": "string", "enum": ["audit", "access"]}),
                queryp("format", "The format.", {"type": "string", "enum": ["jsonl", "csv"]}),
                queryp("since", "From (epoch ms or RFC 3339)."), queryp("until", "Until (epoch ms or RFC 3339)."),
                queryp("actor", "Only this actor."), queryp("action", "Only actions starting with this."),
                queryp("target", "Only this target (audit log).")]),
})

REGISTERED = [l.split() for l in open(os.path.join(HERE, "openapi_routes.txt")) if l.strip() and not l.startswith("#")]

for method, path in REGISTERED:
    key = (method, path)
    if key in EXT:
        o = copy.deepcopy(EXT[key])
    else:
        if path.startswith(PUB):
            src, rel = pub, path[len(PUB):]
        elif path.startswith(IN):
            src, rel = internal, path[len(IN):]
        else:
            sys.exit("no description for %s %s" % key)
        item = src["paths"].get(rel)
        if item is None or method.lower() not in item:
            sys.exit("no description for %s %s" % key)
        o = copy.deepcopy(item[method.lower()])
        if "parameters" in item:
            o.setdefault("parameters", [])
            o["parameters"] = item["parameters"] + o["parameters"]
    # The reference leaves some path parameters undeclared (participantIdentity).
    declared = set()
    for prm in o.get("parameters", []):
        if "$ref" in prm:
            prm = doc["components"]["parameters"][prm["$ref"].split("/")[-1]]
        if prm.get("in") == "path":
            declared.add(prm["name"])
    for name in re.findall(r"{(\w+)}", path):
        if name not in declared:
            o.setdefault("parameters", []).append(pathp(name, "The %s." % name))
    o["responses"].setdefault("default", err("An error in the generic error shape."))
    doc["paths"].setdefault(path, {})[method.lower()] = o

# Differences from OpenVidu Meet, each stated in the operation or schema it changes.
def note(o, text):
    o["description"] = (o.get("description", "").rstrip() + "\n\nConclave: " + text).lstrip()

R = doc["components"]["responses"]
# Bulk room deletion: the reference's oneOf splits "deleted" and "closed" outcomes into two
# bodies, so a batch where one room is deleted and another closed fits neither; Conclave
# answers one list with any outcome per room.
alts = R["bulk-delete-rooms"]["content"]["application/json"]["schema"].pop("oneOf")
merged = copy.deepcopy(alts[0])
item = merged["properties"]["deleted"]["items"]["properties"]
item["successCode"]["enum"] = alts[0]["properties"]["deleted"]["items"]["properties"]["successCode"]["enum"] + \
    alts[1]["properties"]["deleted"]["items"]["properties"]["successCode"]["enum"]
R["bulk-delete-rooms"]["content"]["application/json"]["schema"] = merged
note(R["bulk-delete-rooms"], "one body for every outcome: `deleted` lists each room with its own `successCode` "
     "(deleted or closed ones alike; `room` is present for rooms that still exist).")
# Rooms appearance: no theme is configured until an admin sets one, so `themes` may be empty.
S["MeetAppearanceConfig"]["properties"]["themes"].pop("minItems", None)
note(S["MeetAppearanceConfig"], "`themes` is empty until a theme is configured.")

# Media is WebM, not MP4.
def webm(x):
    if isinstance(x, dict):
        if "video/mp4" in x:
            x["video/webm"] = x.pop("video/mp4")
        for v in x.values():
            webm(v)
    elif isinstance(x, list):
        for v in x:
            webm(v)
webm(doc)
# Downloads take byte ranges (206) like media, and one recording's files can come as a zip.
dl = doc["paths"][PUB + "/recordings/{recordingId}/download"]["get"]
dl["responses"]["206"] = copy.deepcopy(doc["paths"][PUB + "/recordings/{recordingId}/media"]["get"]["responses"]["206"])
dl["responses"]["206"]["description"] = "A byte range of the file."
dl["responses"]["200"]["content"]["application/zip"] = {"schema": {"type": "string", "format": "binary"}}
note(dl, "answers byte ranges (206, as `/media`); `?format=zip` answers the recording's files and manifest "
     "as a zip (docs/recording-access.md).")
sdl = doc["paths"][PUB + "/shared-recordings/{linkId}/download"]["get"]
sdl["responses"]["206"] = copy.deepcopy(dl["responses"]["206"])
for path, item in doc["paths"].items():
    for m, o in item.items():
        if "video/webm" in json.dumps(o.get("responses", {})) and "Conclave" not in o["tags"]:
            note(o, "recordings are WebM (`video/webm`), not MP4.")

json.dump(doc, open(os.path.join(HERE, "openapi.json"), "w"), indent=1, sort_keys=False)
open(os.path.join(HERE, "openapi.json"), "a").write("\n")
