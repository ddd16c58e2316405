import KoanAutograd
import KoanNN
import KoanTensor

/// A teacher for `fit`: each batch's loss becomes
/// α·T²·KL(teacher_T ‖ student_T) + (1 − α)·(the usual loss), with the teacher's logits
/// computed in eval mode without gradients (DistilBERT's recipe). The teacher may be any
/// model with the student's output shape, a quantized one included.
///
///     let run = try fit(small, on: train, optimizer: try AdamW(lr: 1e-3), options: FitOptions(epochs: 5),
///                       distillation: try Distillation(teacher: big, temperature: 2, alpha: 0.5))
public struct Distillation {
    public let teacher: Module
    public let temperature: Double
    public let alpha: Double

    public init(teacher: Module, temperature: Double = 2, alpha: Double = 0.5) throws {
        guard temperature > 0, temperature.isFinite else {
            throw TrainError.invalidOption(name: "temperature", reason: "must be positive, got \(temperature)")
        }
        guard (0...1).contains(alpha) else { throw TrainError.invalidOption(name: "alpha", reason: "must be in [0, 1], got \(alpha)") }
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha
    }

    /// The batch loss from the student's output and its usual loss `base`.
    func loss(student output: Tensor, base: Tensor, input: NDArray, labels: NDArray) throws -> Tensor {
        guard alpha > 0 else { return base }
        let wasTraining = teacher.isTraining
        teacher.eval()
        defer { if wasTraining { teacher.train() } }
        let t = try noGrad { try teacher(Tensor(input)) }
        let s = output.dtype == .float32 || output.dtype == .float64 ? output : try output.to(.float32)
        guard t.shape == s.shape else {
            throw TrainError.outputMismatch("the teacher's output has shape \(t.shape) but the student's has \(s.shape): distillation needs the same classes")
        }
        let kl = try distillationKL(student: s, teacher: t, labels: Tensor(labels), temperature: temperature)
        return try kl * (alpha * temperature * temperature) + base * (1 - alpha)
    }
}
