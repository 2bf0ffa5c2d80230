"""Checks a Perfetto protobuf trace written by `tracexport perfetto`, decoded with Perfetto's
own trace protos (PyPI `perfetto`'s perfetto_trace_pb2), against the invariants of the format
and against the `chrome` output of the same input.

Packets inside `compressed_packets` containers (deflated runs of Trace-encoded packets, as
Perfetto's tracing service writes them) are inflated and read in their place.

Checked: the first packet of each sequence clears its incremental state; timestamps (with
sequence-scoped incremental clocks resolved as ClockSnapshot defines them: a packet's value is
a delta added to the clock's last value, and the snapshot maps the clock onto the trace clock)
never go back within a sequence; every track is described by a TrackDescriptor before an event uses it and
its parent is described before it; interned ids (event names, categories, debug annotation
names, callstacks and their frames, function names and source paths) resolve; per track, slice begins and ends balance and nest (an end never before its
begin); every flow that ends was started; and the numbers of slices, instants, counter values,
complete flows and slices with a stack equal the chrome output's, as do the absolute times of slice begins and
ends, instants and counter values (chrome's `ts`, in microseconds, against the trace-clock
nanoseconds), and the TraceAttributes equal chrome's `otherData`.
"""
import zlib
from collections import Counter, defaultdict

from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

TYPE_SLICE_BEGIN = pb.TrackEvent.TYPE_SLICE_BEGIN
TYPE_SLICE_END = pb.TrackEvent.TYPE_SLICE_END
TYPE_INSTANT = pb.TrackEvent.TYPE_INSTANT
TYPE_COUNTER = pb.TrackEvent.TYPE_COUNTER
CLEARED = pb.TracePacket.SEQ_INCREMENTAL_STATE_CLEARED
BOOTTIME = 6  # BuiltinClock.BUILTIN_CLOCK_BOOTTIME, the trace clock here


class Sequence:
    def __init__(self):
        self.cleared = False
        self.names = {}
        self.categories = {}
        self.annotation_names = {}
        self.function_names = {}
        self.source_paths = {}
        self.frames = {}
        self.callstacks = {}
        self.default_clock = None
        self.incremental = {}  # clock id -> last value
        self.offset = {}  # clock id -> trace time minus clock value (from the ClockSnapshot)
        self.last_ts = None


def decode(data):
    trace = pb.Trace()
    trace.ParseFromString(data)
    return trace


def packets(data):
    """The trace's packets in order, with compressed containers replaced by what they hold."""
    for packet in decode(data).packet:
        if packet.HasField("compressed_packets"):
            yield from packets(zlib.decompress(packet.compressed_packets))
        else:
            yield packet


def check(data):
    """Returns (problems, counts) for one .pftrace's bytes."""
    problems = []
    sequences = defaultdict(Sequence)
    tracks = {}
    stacks = defaultdict(list)  # track uuid -> open slice begin timestamps
    flows_started, flows_ended = set(), set()
    counts = defaultdict(int)
    times = defaultdict(list)  # kind -> absolute times (ns), for the comparison with chrome
    attributes = {}
    for index, packet in enumerate(packets(data)):
        where = f"packet {index}"
        seq = sequences[packet.trusted_packet_sequence_id]
        if not seq.cleared:
            if not (packet.sequence_flags & CLEARED or packet.incremental_state_cleared):
                problems.append(f"{where}: first packet of sequence {packet.trusted_packet_sequence_id} does not clear incremental state")
            seq.cleared = True
        if packet.HasField("trace_packet_defaults") and packet.trace_packet_defaults.HasField("timestamp_clock_id"):
            seq.default_clock = packet.trace_packet_defaults.timestamp_clock_id
        if packet.HasField("clock_snapshot"):
            clocks = packet.clock_snapshot.clocks
            boottime = [c.timestamp for c in clocks if c.clock_id == BOOTTIME]
            for clock in clocks:
                if clock.is_incremental:
                    if clock.unit_multiplier_ns not in (0, 1):
                        problems.append(f"{where}: clock {clock.clock_id} counts in units of {clock.unit_multiplier_ns} ns")
                    seq.incremental[clock.clock_id] = clock.timestamp
                    if not boottime:
                        problems.append(f"{where}: incremental clock {clock.clock_id} not tied to BOOTTIME")
                    seq.offset[clock.clock_id] = (boottime[0] if boottime else 0) - clock.timestamp
        if packet.HasField("interned_data"):
            interned = packet.interned_data
            for table, entries in ((seq.names, interned.event_names), (seq.categories, interned.event_categories),
                                   (seq.annotation_names, interned.debug_annotation_names)):
                for entry in entries:
                    table[entry.iid] = entry.name
            for table, entries in ((seq.function_names, interned.function_names), (seq.source_paths, interned.source_paths)):
                for entry in entries:
                    table[entry.iid] = entry.str
            for frame in interned.frames:
                if frame.function_name_id not in seq.function_names:
                    problems.append(f"{where}: frame {frame.iid} names function {frame.function_name_id}, not interned")
                if frame.HasField("source_path_iid") and frame.source_path_iid not in seq.source_paths:
                    problems.append(f"{where}: frame {frame.iid} names source path {frame.source_path_iid}, not interned")
                seq.frames[frame.iid] = frame
            for callstack in interned.callstacks:
                missing = [f for f in callstack.frame_ids if f not in seq.frames]
                if missing or not callstack.frame_ids:
                    problems.append(f"{where}: callstack {callstack.iid} has frames {missing} not interned")
                seq.callstacks[callstack.iid] = callstack
        ts = None
        if packet.HasField("timestamp"):
            clock = packet.timestamp_clock_id if packet.HasField("timestamp_clock_id") else seq.default_clock
            ts = packet.timestamp
            if clock in seq.incremental:
                value = seq.incremental[clock] + packet.timestamp
                seq.incremental[clock] = value
                ts = value + seq.offset[clock]
            if seq.last_ts is not None and ts < seq.last_ts:
                problems.append(f"{where}: timestamp {ts} before the previous one {seq.last_ts}")
            seq.last_ts = ts
        if packet.HasField("trace_attributes"):
            for attribute in packet.trace_attributes.attribute:
                which = attribute.WhichOneof("value")
                attributes[attribute.key] = getattr(attribute, which) if which else None
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
        if event.HasField("callstack_iid"):
            if event.callstack_iid not in seq.callstacks:
                problems.append(f"{where}: callstack iid {event.callstack_iid} not interned")
            elif event.type == TYPE_SLICE_BEGIN:
                counts["stacks"] += 1
        is_counter_track = tracks[event.track_uuid].HasField("counter")
        if event.type == TYPE_SLICE_BEGIN:
            stacks[event.track_uuid].append(ts)
            counts["slices"] += 1
            times["begins"].append(ts)
        elif event.type == TYPE_SLICE_END:
            times["ends"].append(ts)
            if not stacks[event.track_uuid]:
                problems.append(f"{where}: end without begin on track {event.track_uuid}")
            elif ts < stacks[event.track_uuid].pop():
                problems.append(f"{where}: slice on track {event.track_uuid} ends before it begins")
        elif event.type == TYPE_INSTANT:
            category = seq.categories.get(event.category_iids[0]) if event.category_iids else None
            counts["wake instants" if category == "wake" else "instants"] += 1
            if category != "wake":
                times["instants"].append(ts)
        elif event.type == TYPE_COUNTER:
            if not is_counter_track:
                problems.append(f"{where}: counter value on a track that is not a counter track")
            counts["counters"] += 1
            times["counters"].append(ts)
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
    counts["times"] = {kind: Counter(values) for kind, values in times.items()}
    counts["attributes"] = attributes
    return problems, dict(counts)


def chrome_counts(chrome_trace):
    counts = defaultdict(int)
    for e in chrome_trace["traceEvents"]:
        ph = e["ph"]
        if ph == "B":
            counts["slices"] += 1
            if "sf" in e:
                counts["stacks"] += 1
        elif ph in ("i", "I"):
            counts["instants"] += 1
        elif ph == "C":
            counts["counters"] += 1
        elif ph == "s":
            counts["flows"] += 1
    return counts


def chrome_times(chrome_trace):
    """Absolute times (ns) of chrome's slice begins and ends, instants and counter values."""
    kinds = {"B": "begins", "E": "ends", "i": "instants", "I": "instants", "C": "counters"}
    times = defaultdict(Counter)
    for e in chrome_trace["traceEvents"]:
        kind = kinds.get(e["ph"])
        if kind:
            times[kind][round(e["ts"] * 1000)] += 1
    return times


def count_problems(counts, chrome_trace):
    expected = chrome_counts(chrome_trace)
    problems = [f"perfetto has {counts.get(k, 0)} {k}, chrome {expected.get(k, 0)}"
                for k in ("slices", "instants", "counters", "flows", "stacks") if counts.get(k, 0) != expected.get(k, 0)]
    actual_times = counts.get("times", {})
    for kind, expected_times in chrome_times(chrome_trace).items():
        actual = actual_times.get(kind, Counter())
        if actual != expected_times:
            only_perfetto = sorted((actual - expected_times).elements())[:3]
            only_chrome = sorted((expected_times - actual).elements())[:3]
            problems.append(f"{kind} at other times than chrome's: perfetto only {only_perfetto}, chrome only {only_chrome}")
    if counts.get("attributes", {}) != chrome_trace.get("otherData", {}):
        problems.append(f"trace attributes {counts.get('attributes')} are not chrome's otherData {chrome_trace.get('otherData')}")
    return problems
