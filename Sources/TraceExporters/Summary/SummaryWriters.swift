// The three renderings of a SummaryReport: JSON (Schemas/summary.schema.json), CSV and an
// aligned text table.
//
// Invariants:
// - JSON: exactly the keys "request" (first) when the trace names a request (RequestBreakdown), "tasks",
//   "groups", "regions", and "actors" when the trace has actors; every time an integer in ns; one record per line; strings escaped by
//   writeJSONString. No Foundation encoder.
// - CSV (RFC 4180): one header line, then request, request-contributor and request critical
//   path rows (first, when there is a request), task, group, region and actor rows, told apart by the `kind` column; one `blocked:<reason>` column per reason seen anywhere; the actor columns
//   (after p99Ns) only when the trace has actors; a field holding a comma, quote or line break
//   is quoted with its quotes doubled.
// - Text: the Slow request section first, only when there is a request, led by its critical
//   path (the answer to "why was it slow"), then the equal-share split; the Actors table only
//   when the trace has actors.
// - A trace without actors, and a trigger that names no task in the trace, are written exactly
//   as before actors and requests existed.
// - The rows keep the report's order (SummaryReport.sort).

import TraceModel

enum SummaryJSONWriter {
    static func write(_ report: SummaryReport, to target: inout OutputBuffer) throws {
        var output = StagingBuffer()
        defer { output.drain(into: &target) }
        output.write(byte: UInt8(ascii: "{"))
        if let request = report.request { writeRequest(request, to: &output) }
        output.write("\"tasks\":[")
        for (i, task) in report.tasks.enumerated() {
            output.write(i == 0 ? "\n{\"id\":" : ",\n{\"id\":")
            output.write(uint: task.id)
            output.write(",\"name\":")
            output.writeJSONString(task.name)
            output.write(",\"group\":")
            output.writeJSONString(task.group)
            output.write(",\"startNs\":")
            output.write(int: task.startNs)
            output.write(",\"endNs\":")
            output.write(int: task.endNs)
            writeTimes(task.times, to: &output)
            output.write(byte: UInt8(ascii: "}"))
            if output.shouldDrain {
                output.drain(into: &target)
                try target.flushIfNeeded()
            }
        }
        output.write("],\n\"groups\":[")
        for (i, group) in report.groups.enumerated() {
            output.write(i == 0 ? "\n{\"name\":" : ",\n{\"name\":")
            output.writeJSONString(group.name)
            output.write(",\"count\":")
            output.write(int: Int64(group.count))
            writeTimes(group.times, to: &output)
            output.write(byte: UInt8(ascii: "}"))
        }
        output.write("],\n\"regions\":[")
        for (i, region) in report.regions.enumerated() {
            output.write(i == 0 ? "\n{\"name\":" : ",\n{\"name\":")
            output.writeJSONString(region.name)
            output.write(",\"count\":")
            output.write(int: region.count)
            output.write(",\"totalNs\":")
            output.write(int: region.totalNs)
            output.write(",\"meanNs\":")
            output.write(int: region.meanNs)
            output.write(",\"p50Ns\":")
            output.write(int: region.p50Ns)
            output.write(",\"p99Ns\":")
            output.write(int: region.p99Ns)
            output.write(",\"execNs\":")
            output.write(int: region.execNs)
            output.write(",\"schedWaitNs\":")
            output.write(int: region.schedWaitNs)
            output.write(",\"blockedNs\":")
            output.write(int: region.blockedNs)
            output.write(",\"syscallNs\":")
            output.write(int: region.syscallNs)
            output.write(byte: UInt8(ascii: "}"))
        }
        if !report.actors.isEmpty {
            output.write("],\n\"actors\":[")
            for (i, actor) in report.actors.enumerated() {
                output.write(i == 0 ? "\n{\"name\":" : ",\n{\"name\":")
                output.writeJSONString(actor.name)
                output.write(",\"hops\":")
                output.write(int: actor.hops)
                output.write(",\"waitedTasks\":")
                output.write(int: actor.waitedTasks)
                output.write(",\"waitNs\":")
                output.write(int: actor.waitNs)
                output.write(",\"p99WaitNs\":")
                output.write(int: actor.p99WaitNs)
                output.write(",\"heldNs\":")
                output.write(int: actor.heldNs)
                output.write(",\"longestQueue\":")
                output.write(int: actor.longestQueue)
                output.write(byte: UInt8(ascii: "}"))
            }
        }
        output.write("]}\n")
    }

    /// `"request":{...},` and a line break; contributors one per line.
    private static func writeRequest(_ request: RequestSummary, to output: inout StagingBuffer) {
        output.write("\"request\":{\"task\":")
        output.write(uint: request.task)
        output.write(",\"name\":")
        output.writeJSONString(request.name)
        if request.chosenBy != .trigger {
            output.write(",\"chosenBy\":")
            output.writeJSONString(request.chosenBy.rawValue)
        }
        output.write(",\"startNs\":")
        output.write(int: request.startNs)
        output.write(",\"endNs\":")
        output.write(int: request.endNs)
        output.write(request.ended ? ",\"ended\":true" : ",\"ended\":false")
        output.write(",\"wallNs\":")
        output.write(int: request.wallNs)
        output.write(",\"tasks\":")
        output.write(int: Int64(request.tasks))
        writeTimes(request.times, to: &output)
        output.write(",\"ownTask\":{")
        writeTimes(request.ownTask, to: &output, first: true)
        output.write("},\"top\":[")
        writeContributors(request.top, to: &output)
        output.write("],\"criticalPath\":{\"hops\":")
        output.write(int: Int64(request.criticalPath.hops))
        output.write(",\"tasks\":")
        output.write(int: Int64(request.criticalPath.tasks))
        output.write(",\"parts\":[")
        writeContributors(request.criticalPath.parts, to: &output)
        output.write("]}},\n")
    }

    /// `{"group":...,"state":...,"reason":...,"ns":...}` objects, one per line, comma-separated.
    private static func writeContributors(_ contributors: [RequestContributor], to output: inout StagingBuffer) {
        for (i, c) in contributors.enumerated() {
            output.write(i == 0 ? "\n{\"group\":" : ",\n{\"group\":")
            output.writeJSONString(c.group)
            output.write(",\"state\":")
            output.writeJSONString(c.state.name)
            if let reason = c.state.reason {
                output.write(",\"reason\":")
                output.writeJSONString(reason)
            }
            if let actor = c.state.actor {
                output.write(",\"actor\":")
                output.writeJSONString(actor)
            }
            output.write(",\"ns\":")
            output.write(int: c.ns)
            output.write(byte: UInt8(ascii: "}"))
        }
    }

    /// `,"execNs":...` up to `"totalNs":...`; without the leading comma when `first`.
    private static func writeTimes(_ times: StateTotals, to output: inout StagingBuffer, first: Bool = false) {
        output.write(first ? "\"execNs\":" : ",\"execNs\":")
        output.write(int: times.execNs)
        output.write(",\"schedWaitNs\":")
        output.write(int: times.schedWaitNs)
        output.write(",\"blockedNs\":{")
        for (i, b) in times.blockedNs.enumerated() {
            if i > 0 { output.write(byte: UInt8(ascii: ",")) }
            output.writeJSONString(b.reason)
            output.write(byte: UInt8(ascii: ":"))
            output.write(int: b.ns)
        }
        output.write("},\"syscallNs\":")
        output.write(int: times.syscallNs)
        output.write(",\"totalNs\":")
        output.write(int: times.totalNs)
    }
}

enum SummaryCSVWriter {
    static func write(_ report: SummaryReport, to output: inout OutputBuffer) {
        var reasons = report.totals.blockedNs.map(\.reason)
        for b in report.request?.times.blockedNs ?? [] where !reasons.contains(b.reason) { reasons.append(b.reason) }
        for case .blocked(let reason) in report.request?.criticalPath.parts.map(\.state) ?? []
        where !reasons.contains(reason) {
            reasons.append(reason)
        }
        let actorHeader = report.actors.isEmpty ? [] : ["waitedTasks", "waitNs", "p99WaitNs", "heldNs", "longestQueue"]
        let noActorCells = actorHeader.map { _ in "" }
        var header = ["kind", "id", "name", "group", "count", "startNs", "endNs", "execNs", "schedWaitNs",
                      "blockedNs", "syscallNs", "totalNs", "meanNs", "p50Ns", "p99Ns"]
        header += actorHeader
        header += reasons.map { "blocked:" + $0 }
        writeRow(header, to: &output)

        func byReason(_ times: StateTotals) -> [String] {
            reasons.map { reason in
                String(times.blockedNs.first { $0.reason == reason }?.ns ?? 0)
            }
        }
        if let request = report.request {
            // `count` is the request's tasks; a contributor or critical path part (group, state) has
            // its time in that state's column (and its reason's) and in totalNs.
            let t = request.times
            writeRow(["request", String(request.task), request.name, "", String(request.tasks),
                      String(request.startNs), String(request.endNs), String(t.execNs), String(t.schedWaitNs),
                      String(t.blockedTotalNs), String(t.syscallNs), String(t.totalNs), "", "", ""]
                     + noActorCells + byReason(t), to: &output)
            func part(_ kind: String, _ c: RequestContributor) {
                var cells = ["", "", "", ""]
                switch c.state {
                case .running, .runningOnActor: cells[0] = String(c.ns)
                case .runnable: cells[1] = String(c.ns)
                case .blocked: cells[2] = String(c.ns)
                case .syscall: cells[3] = String(c.ns)
                }
                let reasonCells = reasons.map { $0 == c.state.reason ? String(c.ns) : "" }
                writeRow([kind, "", c.group, c.group, "", "", ""] + cells
                         + [String(c.ns), "", "", ""] + noActorCells + reasonCells, to: &output)
            }
            for c in request.top { part("request contributor", c) }
            for c in request.criticalPath.parts { part("request critical path", c) }
        }
        for task in report.tasks {
            let t = task.times
            writeRow(["task", String(task.id), task.name, task.group, "", String(task.startNs), String(task.endNs),
                      String(t.execNs), String(t.schedWaitNs), String(t.blockedTotalNs), String(t.syscallNs),
                      String(t.totalNs), "", "", ""] + noActorCells + byReason(t), to: &output)
        }
        for group in report.groups {
            let t = group.times
            writeRow(["group", "", group.name, group.name, String(group.count), "", "",
                      String(t.execNs), String(t.schedWaitNs), String(t.blockedTotalNs), String(t.syscallNs),
                      String(t.totalNs), "", "", ""] + noActorCells + byReason(t), to: &output)
        }
        for r in report.regions {
            writeRow(["region", "", r.name, "", String(r.count), "", "",
                      String(r.execNs), String(r.schedWaitNs), String(r.blockedNs), String(r.syscallNs),
                      String(r.totalNs), String(r.meanNs), String(r.p50Ns), String(r.p99Ns)]
                     + noActorCells + reasons.map { _ in "" }, to: &output)
        }
        // `count` is the actor's hops; its own figures are in the actor columns.
        for a in report.actors {
            writeRow(["actor", "", a.name, "", String(a.hops), "", "", "", "", "", "", "", "", "", "",
                      String(a.waitedTasks), String(a.waitNs), String(a.p99WaitNs), String(a.heldNs),
                      String(a.longestQueue)]
                     + reasons.map { _ in "" }, to: &output)
        }
    }

    static func field(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"")
                                        || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else { return s }
        var quoted = "\""
        for ch in s {
            if ch == "\"" { quoted += "\"\"" } else { quoted.append(ch) }
        }
        return quoted + "\""
    }

    private static func writeRow(_ cells: [String], to output: inout OutputBuffer) {
        for (i, cell) in cells.enumerated() {
            if i > 0 { output.write(byte: UInt8(ascii: ",")) }
            output.write(field(cell))
        }
        output.write(byte: UInt8(ascii: "\n"))
    }
}

enum SummaryTextWriter {
    static func write(_ report: SummaryReport, sortedBy key: SummaryOptions.SortKey, to output: inout OutputBuffer) {
        if let request = report.request {
            writeRequest(request, to: &output)
            output.write(byte: UInt8(ascii: "\n"))
        }
        let totals = report.totals
        output.write("\(report.taskCount) tasks in \(report.groups.count) groups, \(report.regions.count) region names;")
        output.write(" exec \(DurationText.format(totals.execNs)), sched wait \(DurationText.format(totals.schedWaitNs)),")
        output.write(" blocked \(DurationText.format(totals.blockedTotalNs)), syscall \(DurationText.format(totals.syscallNs))")
        output.write("; sorted by \(key.rawValue)\n")

        output.write("\nGroups\n")
        var groups = TextTable([("group", .left), ("tasks", .right)] + timeColumns)
        for g in report.groups {
            groups.append([display(g.name), String(g.count)] + timeCells(g.times))
        }
        groups.write(to: &output)

        if report.tasks.count < report.taskCount {
            output.write("\nTasks (the \(report.tasks.count) with the most \(key.rawValue) time; --max-tasks 0 lists all)\n")
        } else {
            output.write("\nTasks\n")
        }
        var tasks = TextTable([("id", .right), ("name", .left), ("group", .left)] + timeColumns)
        for t in report.tasks {
            tasks.append([String(t.id), display(t.name), display(t.group)] + timeCells(t.times))
        }
        tasks.write(to: &output)

        output.write("\nRegions\n")
        var regions = TextTable([("region", .left), ("count", .right), ("total", .right), ("mean", .right),
                                 ("p50", .right), ("p99", .right), ("exec", .right), ("sched wait", .right),
                                 ("blocked", .right), ("syscall", .right)])
        for r in report.regions {
            regions.append([display(r.name), String(r.count)]
                           + [r.totalNs, r.meanNs, r.p50Ns, r.p99Ns, r.execNs, r.schedWaitNs, r.blockedNs, r.syscallNs]
                           .map(DurationText.format))
        }
        regions.write(to: &output)

        guard !report.actors.isEmpty else { return }
        output.write("\nActors (by total wait)\n")
        var actors = TextTable([("actor", .left), ("hops", .right), ("tasks waited", .right), ("wait", .right),
                                ("p99 wait", .right), ("held", .right), ("longest queue", .right)])
        for a in report.actors {
            actors.append([display(a.name), String(a.hops), String(a.waitedTasks), DurationText.format(a.waitNs),
                           DurationText.format(a.p99WaitNs), DurationText.format(a.heldNs), String(a.longestQueue)])
        }
        actors.write(to: &output)
    }

    /// The request's wall time by state (every instant shared equally among the request's tasks
    /// alive then), and its five largest (group, state) contributors.
    private static func writeRequest(_ r: RequestSummary, to output: inout OutputBuffer) {
        switch r.chosenBy {
        case .trigger:
            output.write("Slow request: \(display(r.name)) (task \(r.task))")
        case .longestUserTask:
            output.write("Longest request: \(display(r.name)) (user task \(TaskID(r.task).goUserTaskNumber))")
        }
        output.write(", wall time \(DurationText.format(r.wallNs))")
        output.write(r.ended ? "" : " (still running at the window end)")
        output.write(", \(r.tasks) \(r.tasks == 1 ? "task" : "tasks")\n")
        if r.chosenBy == .longestUserTask {
            output.write("The trace names no request: this is its longest user task (runtime/trace.NewTask) not inside another\n")
        }
        writeCriticalPath(r, to: &output)
        output.write("\nWhere its tasks spent the wall time: each instant shared equally among the request's tasks alive then\n")
        var states = TextTable([("state", .left), ("time", .right), ("share", .right)])
        func row(_ label: String, _ ns: Int64) {
            states.append([label, DurationText.format(ns), percent(ns, of: r.wallNs)])
        }
        row("running", r.times.execNs)
        row("waiting for a thread", r.times.schedWaitNs)
        let reasons = r.times.blockedNs.sorted { $0.ns != $1.ns ? $0.ns > $1.ns : $0.reason < $1.reason }
        for b in reasons { row(RequestState.blocked(reason: display(b.reason, empty: "")).label, b.ns) }
        row("syscall", r.times.syscallNs)
        row("total", r.wallNs)
        states.write(to: &output)
        output.write("\nIts own task over the wall time (what the request's code waited for)\n")
        var own = TextTable([("state", .left), ("time", .right), ("share", .right)])
        let ownRows = [("running", r.ownTask.execNs), ("waiting for a thread", r.ownTask.schedWaitNs)]
            + r.ownTask.blockedNs.sorted { $0.ns != $1.ns ? $0.ns > $1.ns : $0.reason < $1.reason }
                .map { (RequestState.blocked(reason: display($0.reason, empty: "")).label, $0.ns) }
            + [("syscall", r.ownTask.syscallNs)]
        for (label, ns) in ownRows where ns > 0 {
            own.append([label, DurationText.format(ns), percent(ns, of: r.wallNs)])
        }
        own.write(to: &output)
        guard !r.top.isEmpty else { return }
        output.write("\nLargest contributors\n")
        var top = TextTable([("group", .left), ("state", .left), ("time", .right), ("share", .right)])
        for c in r.top { top.append(contributorCells(c, of: r.wallNs)) }
        top.write(to: &output)
    }

    /// How many critical path parts the text shows; the rest are one "other" row.
    static let criticalPathRows = 8

    /// The critical path's largest parts, then the rest in one row, then the total.
    private static func writeCriticalPath(_ r: RequestSummary, to output: inout OutputBuffer) {
        let path = r.criticalPath
        output.write("Critical path: what the request's end waited on, back through wake-ups and creations")
        output.write(" (\(path.hops) \(path.hops == 1 ? "hop" : "hops"), \(path.tasks) \(path.tasks == 1 ? "task" : "tasks"))\n")
        var table = TextTable([("group", .left), ("state", .left), ("time", .right), ("share", .right)])
        for c in path.parts.prefix(criticalPathRows) { table.append(contributorCells(c, of: r.wallNs)) }
        if path.parts.count > criticalPathRows {
            let rest = path.parts.dropFirst(criticalPathRows)
            let ns = rest.reduce(0) { $0 + $1.ns }
            table.append(["(\(rest.count) more)", "", DurationText.format(ns), percent(ns, of: r.wallNs)])
        }
        table.append(["total", "", DurationText.format(r.wallNs), percent(r.wallNs, of: r.wallNs)])
        table.write(to: &output)
    }

    private static func contributorCells(_ c: RequestContributor, of wallNs: Int64) -> [String] {
        let state = switch c.state {
        case .blocked(let reason): RequestState.blocked(reason: display(reason, empty: "")).label
        case .runningOnActor(let actor): RequestState.runningOnActor(display(actor)).label
        default: c.state.label
        }
        return [display(c.group), state, DurationText.format(c.ns), percent(c.ns, of: wallNs)]
    }

    /// "37.5%": one decimal, rounded half up.
    private static func percent(_ ns: Int64, of whole: Int64) -> String {
        guard whole > 0, ns >= 0 else { return "0.0%" }
        let tenths = Int64((Double(ns) * 1000 / Double(whole)).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    private static let timeColumns: [(String, TextTable.Alignment)] = [
        ("exec", .right), ("sched wait", .right), ("blocked", .right), ("syscall", .right), ("total", .right),
        ("blocked by reason", .left),
    ]

    private static func timeCells(_ t: StateTotals) -> [String] {
        let reasons = t.blockedNs.filter { $0.ns > 0 }.sorted { $0.ns != $1.ns ? $0.ns > $1.ns : $0.reason < $1.reason }
        return [t.execNs, t.schedWaitNs, t.blockedTotalNs, t.syscallNs, t.totalNs].map(DurationText.format)
            + [reasons.map { "\(display($0.reason)) \(DurationText.format($0.ns))" }.joined(separator: ", ")]
    }

    /// Names on one line: control characters shown as spaces, empty as "(unnamed)".
    private static func display(_ s: String, empty: String = "(unnamed)") -> String {
        if s.isEmpty { return empty }
        return String(s.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}
