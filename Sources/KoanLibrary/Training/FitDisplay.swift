import KoanLang
import Glibc
import KoanMarkup
import KoanPlot
import KoanTrain

/// One output that a long call (`fit`, `generate`) shows and then updates in place:
/// display_data + update_display_data with one display_id in Jupyter, a redrawn line in
/// `koan repl`, the final state in `koan run`. Updates closer than `interval` to the last one
/// are dropped before their bundle is even built; the final one is always drawn.
final class LiveDisplay {
    private let display: Display
    private let id: String
    private let interval: Duration
    private var shown = false
    private var lastDraw: ContinuousClock.Instant?
    nonisolated(unsafe) private static var counter = 0

    init(_ display: Display, kind: String, interval: Duration) {
        self.display = display
        self.interval = interval
        LiveDisplay.counter += 1
        id = "koan-\(kind)-\(getpid())-\(LiveDisplay.counter)"
    }

    func update(final: Bool, _ bundle: () -> MimeBundle) {
        let now = ContinuousClock.now
        if !final, let last = lastDraw, now - last < interval { return }
        lastDraw = now
        display.show(bundle(), displayID: id, update: shown)
        shown = true
    }
}

// The live display of a `fit`: a progress line and a loss chart, at most four times a second.

final class FitDisplay {
    private let live: LiveDisplay

    init(_ display: Display) {
        live = LiveDisplay(display, kind: "fit", interval: .milliseconds(250))
    }

    /// Draws `progress` (the final report, once the run has stopped, always).
    func update(_ progress: FitProgress) {
        live.update(final: progress.stopReason != .running) { bundle(progress) }
    }

    private func bundle(_ p: FitProgress) -> MimeBundle {
        let line = FitDisplay.line(p)
        var html = "<div class=\"koan-fit\" style=\"font-family: monospace; font-size: 12px\">"
        let fraction = FitDisplay.fraction(p)
        html += "<progress value=\"\(fraction)\" max=\"1\" style=\"width: 320px; vertical-align: middle\"></progress> "
        html += "\(Int((fraction * 100).rounded(.down)))%<br>\(htmlEscaped(FitDisplay.details(p)))"
        if let figure = FitDisplay.chart(p.run) { html += "<div>\(figure.svg())</div>" }
        html += "</div>"
        return MimeBundle(["text/plain": .text(line), "text/html": .text(html)])
    }

    /// Training loss per step (at most 400 points) and validation loss per epoch, by step.
    static func chart(_ run: Run) -> Figure? {
        guard run.steps.count >= 2 else { return nil }
        let every = max(1, run.steps.count / 400)
        let sampled = stride(from: 0, to: run.steps.count, by: every).map { run.steps[$0] }
        var series = [Series(name: "loss", x: sampled.map { Double($0.step) }, y: sampled.map(\.loss))]
        let validated = run.epochs.filter { $0.validationLoss != nil }
        if !validated.isEmpty {
            var lastStep: [Int: Int] = [:]   // epoch → its last step, in one pass
            for s in run.steps { lastStep[s.epoch] = s.step }
            let ends = validated.map { Double(lastStep[$0.epoch] ?? 0) }
            series.append(Series(name: "val_loss", x: ends, y: validated.map { $0.validationLoss ?? .nan }, kind: .line))
        }
        var figure = Figure(series: series, xLabel: "step", yLabel: "loss")
        figure.width = 420
        figure.height = 180
        guard (try? figure.validate()) != nil else { return nil }
        return figure
    }

    /// `epoch 3/20 · step 75/500 [████░░░░░░░░] 15% · loss 0.4123 · val_loss 0.3901 · val_acc 91.2% · 12,345 samples/s · 4s left`
    static func line(_ p: FitProgress) -> String {
        let width = 20
        let fraction = FitDisplay.fraction(p)
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        return "[\(bar)] \(Int((fraction * 100).rounded(.down)))% · " + details(p)
    }

    /// How full the bar is: the steps done, or all of it once the run has finished by
    /// itself (completed, stopped early, pruned); an interrupt leaves it where it stopped.
    static func fraction(_ p: FitProgress) -> Double {
        switch p.stopReason {
        case .completed, .earlyStopping, .pruned: return 1
        default: return p.totalSteps > 0 ? min(1, Double(p.step) / Double(p.totalSteps)) : 0
        }
    }

    static func details(_ p: FitProgress) -> String {
        var parts = ["epoch \(p.epoch)/\(p.totalEpochs)", "step \(p.step)/\(p.totalSteps)"]
        if p.smoothedLoss.isFinite { parts.append("loss \(fixed(p.smoothedLoss, 4))") }
        if let e = p.lastEpoch {
            if let v = e.validationLoss { parts.append("val_loss \(fixed(v, 4))") }
            if let a = e.validationAccuracy { parts.append("val_acc \(fixed(a * 100, 1))%") }
            else if let a = e.accuracy { parts.append("acc \(fixed(a * 100, 1))%") }
        }
        if p.samplesPerSecond > 0 { parts.append("\(grouped(Int(p.samplesPerSecond.rounded()))) samples/s") }
        switch p.stopReason {
        case .running:
            if let r = p.remaining { parts.append("\(duration(r)) left") }
        case .completed:
            parts.append("done in \(duration(p.elapsed))")
        default:
            parts.append("\(p.stopReason)")
        }
        return parts.joined(separator: " · ")
    }

    /// `x` with `digits` decimals, as Python's `format(x, '.Nf')`.
    static func fixed(_ x: Double, _ digits: Int) -> String { PyFormat.fixed(x, digits: digits) }

    /// Three significant digits: 0.00271, 3e-06 → "3.00e-06", 12.5.
    static func significant(_ x: Double) -> String {
        guard x.isFinite, x != 0 else { return "\(x)" }
        var exponent = 0
        var m = abs(x)
        while m >= 10 { m /= 10; exponent += 1 }
        while m < 1 { m *= 10; exponent -= 1 }
        if exponent >= -3 && exponent < 6 { return fixed(x, max(0, 2 - exponent)) }
        var e = "\(abs(exponent))"
        if e.count < 2 { e = "0" + e }
        return (x < 0 ? "-" : "") + fixed(m, 2) + "e" + (exponent < 0 ? "-" : "+") + e
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds < 10 { return "\(fixed(seconds, 1))s" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(s % 60)s" }
        return "\(s / 3600)h \(s / 60 % 60)m"
    }
}
