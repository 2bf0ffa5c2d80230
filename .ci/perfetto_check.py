"""Checks a Perfetto protobuf trace written by `tracexport perfetto`, decoded with Perfetto's
own trace protos (PyPI `perfetto`'s perfetto_trace_pb2), against the invariants of the format
and against the `chrome` output of the same input.

Checked: the first packet of each sequence clears its incremental state; timestamps (with
sequence-scoped incremental clocks resolved as ClockSnapshot defines them) never go back
within a sequence; every track is described by a TrackDescriptor before an event uses it and
its parent is described before it; interned ids (event names, categories, debug annotation
names) resolve; per track, slice begins and ends balance and nest (an end never before its
begin); every flow that ends was started; and the numbers of slices, instants, counter values
and complete flows equal the chrome output's.
"""
from collections import defaultdict

from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

TYPE_SLICE_BEGIN = pb.TrackEvent.TYPE_SLICE_BEGIN
TYPE_SLICE_END = pb.TrackEvent.TYPE_SLICE_END
TYPE_INSTANT = pb.TrackEvent.TYPE_INSTANT
TYPE_COUNTER = pb.TrackEvent.TYPE_COUNTER
CLEARED = pb.TracePacket.SEQ_INCREMENTAL_STATE_CLEARED


class Sequence:
    def __init__(self):
        self.cleared = False
        self.names = {}
        self.categories = {}
        self.annotation_names = {}
        self.default_clock = None
        self.incremental = {}  # clock id -> last timestamp
        self.last_ts = None


def decode(data):
    trace = pb.Trace()
    trace.ParseFromString(data)
    return trace


def check(data):
    """Returns (problems, counts) for one .pftrace's bytes."""
    problems = []
    trace = decode(data)
    sequences = defaultdict(Sequence)
    tracks = {}
    stacks = defaultdict(list)  # track uuid -> open slice begin timestamps
    flows_started, flows_ended = set(), set()
    counts = defaultdict(int)
    for index, packet in enumerate(trace.packet):
        where = f"packet {index}"
        seq = sequences[packet.trusted_packet_sequence_id]
        if not seq.cleared:
            if not (packet.sequence_flags & CLEARED or packet.incremental_state_cleared):
                problems.append(f"{where}: first packet of sequence {packet.trusted_packet_sequence_id} does not clear incremental state")
            seq.cleared = True
        if packet.HasField("trace_packet_defaults") and packet.trace_packet_defaults.HasField("timestamp_clock_id"):
            seq.default_clock = packet.trace_packet_defaults.timestamp_clock_id
        if packet.HasField("clock_snapshot"):
            for clock in packet.clock_snapshot.clocks:
                if clock.is_incremental:
                    seq.incremental[clock.clock_id] = clock.timestamp
        if packet.HasField("interned_data"):
            interned = packet.interned_data
            for table, entries in ((seq.names, interned.event_names), (seq.categories, interned.event_categories),
                                   (seq.annotation_names, interned.debug_annotation_names)):
                for entry in entries:
                    table[entry.iid] = entry.name
        ts = None
        if packet.HasField("timestamp"):
            clock = packet.timestamp_clock_id if packet.HasField("timestamp_clock_id") else seq.default_clock
            ts = packet.timestamp
            if clock in seq.incremental:
                ts = seq.incremental[clock] + packet.timestamp
                seq.incremental[clock] = ts
            if seq.last_ts is not None and ts < seq.last_ts:
                problems.append(f"{where}: timestamp {ts} before the previous one {seq.last_ts}")
            seq.last_ts = ts
        if packet.HasField("track_descriptor"):
            track = packet.track_descriptor
            if track.HasField("parent_uuid") and track.parent_uuid not in tracks:
                problems.append(f"{where}: track {track.uuid} has undescribed parent {track.parent_uuid}")
            if not track.name:
                problems.append(f"{where}: track {track.uuid} has no name")
            tracks[track.uuid] = track
        if not packet.HasField("track_event"):
            continue
        event = packet.track_event
        if ts is None:
            problems.append(f"{where}: track event without timestamp")
            continue
        if event.track_uuid not in tracks:
            problems.append(f"{where}: event on undescribed track {event.track_uuid}")
            continue
        if event.HasField("name_iid") and event.name_iid not in seq.names:
            problems.append(f"{where}: name iid {event.name_iid} not interned")
        for iid in event.category_iids:
            if iid not in seq.categories:
                problems.append(f"{where}: category iid {iid} not interned")
        for annotation in event.debug_annotations:
            if annotation.HasField("name_iid") and annotation.name_iid not in seq.annotation_names:
                problems.append(f"{where}: debug annotation name iid {annotation.name_iid} not interned")
        is_counter_track = tracks[event.track_uuid].HasField("counter")
        if event.type == TYPE_SLICE_BEGIN:
            stacks[event.track_uuid].append(ts)
            counts["slices"] += 1
        elif event.type == TYPE_SLICE_END:
            if not stacks[event.track_uuid]:
                problems.append(f"{where}: end without begin on track {event.track_uuid}")
            elif ts < stacks[event.track_uuid].pop():
                problems.append(f"{where}: slice on track {event.track_uuid} ends before it begins")
        elif event.type == TYPE_INSTANT:
            category = seq.categories.get(event.category_iids[0]) if event.category_iids else None
            counts["wake instants" if category == "wake" else "instants"] += 1
        elif event.type == TYPE_COUNTER:
            if not is_counter_track:
                problems.append(f"{where}: counter value on a track that is not a counter track")
            counts["counters"] += 1
        else:
            problems.append(f"{where}: event type {event.type}")
        if event.type in (TYPE_SLICE_BEGIN, TYPE_SLICE_END, TYPE_INSTANT) and is_counter_track:
            problems.append(f"{where}: slice event on counter track {event.track_uuid}")
        for flow in event.flow_ids:
            if flow in flows_started:
                problems.append(f"{where}: flow {flow} started twice")
            flows_started.add(flow)
        for flow in event.terminating_flow_ids:
            if flow not in flows_started:
                problems.append(f"{where}: flow {flow} ends before it starts")
            if flow in flows_ended:
                problems.append(f"{where}: flow {flow} ended twice")
            flows_ended.add(flow)
    for uuid, open_slices in stacks.items():
        if open_slices:
            problems.append(f"track {uuid}: {len(open_slices)} slices left open")
    counts["flows"] = len(flows_ended)
    return problems, dict(counts)


def chrome_counts(chrome_trace):
    counts = defaultdict(int)
    for e in chrome_trace["traceEvents"]:
        ph = e["ph"]
        if ph == "B":
            counts["slices"] += 1
        elif ph in ("i", "I"):
            counts["instants"] += 1
        elif ph == "C":
            counts["counters"] += 1
        elif ph == "s":
            counts["flows"] += 1
    return counts


def count_problems(counts, chrome_trace):
    expected = chrome_counts(chrome_trace)
    return [f"perfetto has {counts.get(k, 0)} {k}, chrome {expected.get(k, 0)}"
            for k in ("slices", "instants", "counters", "flows") if counts.get(k, 0) != expected.get(k, 0)]
