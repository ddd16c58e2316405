// koan-bench: the Swift side of the benchmarks in bench/. Prints one JSON object.
// Run a release build: `swift build -c release --product koan-bench`.
//
//     koan-bench [--quick]        bench/tensor.py (TensorBench.swift)
//     koan-bench train ...        bench/train.py (Train.swift)
//     koan-bench gpt ...          bench/gpt.py (GPT.swift)
//     koan-bench compress ...     bench/compress.py (Compress.swift)
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "train": reportJSON { try trainBench(Array(arguments.dropFirst())) }
case "gpt": reportJSON { try gptBench(Array(arguments.dropFirst())) }
case "compress": reportJSON { try compressBench(Array(arguments.dropFirst())) }
default: reportJSON { try tensorBench(quick: arguments.contains("--quick")) }
}
