import Foundation
import KoanLang
import KoanMarkup
import KoanPlot
import KoanSearch
import KoanTrain

// How a study looks: a summary line, the trial table (number, parameters, value, state,
// duration) and the best-so-far chart. The live display of `search` and a Study value's
// own output draw from these, so the two always agree.

enum StudyView {
    /// `study 'digits-mlp' · minimize · 40 trials: 28 complete, 12 pruned · best 0.0812 (trial 17)`
    static func summary(_ study: Study) -> String {
        var counts: [String] = []
        for state in [TrialState.complete, .pruned, .fail, .running] {
            let n = study.trials.count { $0.state == state }
            if n > 0 { counts.append("\(n) \(state == .fail ? "failed" : state.label)") }
        }
        var line = "study '\(study.name)' · \(study.direction.rawValue.lowercased()) · \(study.trials.count) trial\(study.trials.count == 1 ? "" : "s")"
        if !counts.isEmpty { line += ": " + counts.joined(separator: ", ") }
        if let best = study.best, let v = best.value { line += " · best \(number(v)) (trial \(best.number))" }
        return line
    }

    /// The parameter columns: the declared space first, then what trials suggested on their own.
    static func parameterNames(_ study: Study) -> [String] {
        var names = study.space.map(\.name)
        for t in study.trials {
            for p in t.params where !names.contains(p.name) { names.append(p.name) }
        }
        return names
    }

    /// A header and one row per trial; past `limit` trials, the last `limit` (the best is
    /// marked with ★ wherever it is, and kept as the first row when it would be cut).
    static func rows(_ study: Study, limit: Int) -> [[String]] {
        let names = parameterNames(study)
        let best = study.best?.number
        var shown = Array(study.trials.suffix(limit))
        if let best, let b = study.trials.first(where: { $0.number == best }), !shown.contains(where: { $0.number == best }) {
            shown = [b] + shown.dropFirst()
        }
        var rows = [["#"] + names + ["value", "state", "duration"]]
        for t in shown {
            let params = names.map { name in t.param(name).map { paramText($0.value) } ?? "" }
            let value = t.value.map(number) ?? ""
            let duration = t.duration.map(FitDisplay.duration) ?? ""
            rows.append(["\(t.number)\(t.number == best ? " ★" : "")"] + params + [value, t.state.label, duration])
        }
        return rows
    }

    /// The summary, the table, the chart and (while running) the current trial's line.
    static func html(_ study: Study, limit: Int, current: String?) -> String {
        var html = "<div class=\"koan-search\" style=\"font-family: monospace; font-size: 12px\">"
        html += "<div>\(htmlEscaped(summary(study)))</div>"
        if let current { html += "<div>\(htmlEscaped(current))</div>" }
        if !study.trials.isEmpty { html += htmlTable(rows(study, limit: limit)) }
        if var figure = try? history(study) {
            figure.width = 420
            figure.height = 200
            html += "<div>\(figure.svg())</div>"
        }
        return html + "</div>"
    }

    /// Each finished trial's value by trial number (complete and pruned apart) and the best
    /// value so far as a line.
    static func history(_ study: Study) throws -> Figure {
        var series: [Series] = []
        for (state, name) in [(TrialState.complete, "complete"), (.pruned, "pruned")] {
            let points = study.trials.filter { $0.state == state && $0.value.map { $0.isFinite } == true }
            if !points.isEmpty {
                series.append(Series(name: name, x: points.map { Double($0.number) }, y: points.map { $0.value ?? .nan }, kind: .scatter))
            }
        }
        let bests = study.bestSoFar.compactMap { p in p.best.map { (Double(p.number), $0) } }
        if !bests.isEmpty { series.append(Series(name: "best so far", x: bests.map(\.0), y: bests.map(\.1), kind: .line)) }
        guard !series.isEmpty else { throw Fault(.value, "study '\(study.name)' has no finished trial with a value to plot yet") }
        let figure = Figure(series: series, xLabel: "trial", yLabel: "value")
        try figure.validate()
        return figure
    }

    /// The `top` best complete trials as lines across one axis per parameter and one for the
    /// value, each axis scaled to 0…1 over its range (log ranges in log space, choices by
    /// their index).
    static func parallelCoordinates(_ study: Study, top: Int) throws -> Figure {
        let names = parameterNames(study)
        let ranked = study.trials.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
            .sorted { a, b in (study.direction == .minimize) == ((a.value ?? 0) < (b.value ?? 0)) && a.value != b.value }
        let shown = Array(ranked.prefix(top))
        guard !shown.isEmpty else { throw Fault(.value, "study '\(study.name)' has no complete trial to draw yet") }
        let values = shown.compactMap(\.value)
        let lo = values.min() ?? 0, hi = values.max() ?? 1
        func scaled(_ x: Double, _ a: Double, _ b: Double) -> Double { b > a ? (x - a) / (b - a) : 0.5 }
        let series = shown.map { t in
            var y = names.map { name -> Double in
                guard let p = t.param(name) else { return .nan }   // a conditional parameter this trial did not have
                switch p.distribution {
                case let .float(low, high, log, _):
                    return log ? scaled(Foundation.log(p.internalValue), Foundation.log(low), Foundation.log(high)) : scaled(p.internalValue, low, high)
                case let .int(low, high, log, _):
                    return log ? scaled(Foundation.log(p.internalValue), Foundation.log(Double(low)), Foundation.log(Double(high)))
                               : scaled(p.internalValue, Double(low), Double(high))
                case let .categorical(choices):
                    return scaled(p.internalValue, 0, Double(choices.count - 1))
                }
            }
            y.append(scaled(t.value ?? .nan, lo, hi))
            return Series(name: "trial \(t.number): \(number(t.value ?? .nan))", x: (0...names.count).map(Double.init), y: y, kind: .line)
        }
        let figure = Figure(series: series, title: "best \(shown.count) of \(ranked.count) complete trials", yLabel: "scaled to each axis' range",
                            categories: names + ["value"])
        try figure.validate()
        return figure
    }

    static func number(_ v: Double) -> String { FitDisplay.significant(v) }

    static func paramText(_ v: ParamValue) -> String {
        switch v {
        case .double(let d): number(d)
        case .int(let i): "\(i)"
        case .string(let s): s
        case .bool(let b): "\(b)"
        case .null: "nil"
        }
    }
}

/// The one live output of `search`: the summary, the trial table, the best-so-far chart and
/// the running trial's training line (from `fit(..., trial:)`), redrawn in place.
final class StudyDisplay {
    private let live: LiveDisplay
    private let target: Int
    private var study: Study?
    private var current: String?

    init(_ display: Display, target: Int) {
        live = LiveDisplay(display, kind: "search", interval: .milliseconds(250))
        self.target = target
    }

    /// A trial started or ended.
    func trialChanged(_ study: Study, _ index: Int) {
        self.study = study
        let t = study.trials[index]
        current = t.state == .running ? "trial \(t.number) running · \(study.finishedCount)/\(target) finished" : nil
        live.update(final: false) { bundle() }
    }

    /// The running trial's `fit` progress.
    func fitProgress(_ p: FitProgress) {
        guard let study, let t = study.trials.last, t.state == .running else { return }
        current = "trial \(t.number) · " + FitDisplay.details(p)
        live.update(final: false) { bundle() }
    }

    func finish(_ study: Study, interrupted: Bool) {
        self.study = study
        current = interrupted ? "interrupted: \(study.finishedCount) finished trials kept" : nil
        live.update(final: true) { bundle() }
    }

    private func bundle() -> MimeBundle {
        guard let study else { return MimeBundle(["text/plain": .text("search starting")]) }
        var lines = [StudyView.summary(study)]
        if let current { lines.append(current) }
        lines += textTable(StudyView.rows(study, limit: 12))
        return MimeBundle(["text/plain": .text(lines.joined(separator: "\n")),
                           "text/html": .text(StudyView.html(study, limit: 30, current: current))])
    }
}
