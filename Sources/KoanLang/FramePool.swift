/// Reuse of call frames. A frame (an object plus one buffer) used to be allocated and
/// freed on every user function call, a fifth of the time of a recursive function such
/// as `fib`. Each function keeps a few frames of finished calls in a free list instead.

extension UserFunction {
    /// Enough for the recursion depth of typical recursive functions; deeper chains
    /// allocate, and the pool never holds more than this many frames.
    static let maxFreeFrames = 32

    /// A frame for a call of this function, holding the closure's captured boxes (before
    /// any argument is bound: a default value may read a captured variable).
    @inline(__always)
    func makeFrame(captures: [Box]) -> Frame {
        let frame: Frame
        if let free = freeFrames {
            freeFrames = free.nextFree
            free.nextFree = nil
            freeFrameCount -= 1
            frame = free
        } else {
            frame = Frame(slotCount: slotCount, name: displayName)
        }
        if !captures.isEmpty {
            let slots = captureSlots
            for i in 0..<min(slots.count, captures.count) { frame.boxes[slots[i]] = captures[i] }
        }
        return frame
    }

    /// Returns the frame of a call that has finished normally to the pool. A frame still
    /// referenced elsewhere is left alone (it is never reused while it could be seen).
    @inline(__always)
    func recycle(_ frame: inout Frame) {
        guard freeFrameCount < Self.maxFreeFrames, isKnownUniquelyReferenced(&frame) else { return }
        frame.reset()
        frame.nextFree = freeFrames
        freeFrames = frame
        freeFrameCount += 1
    }
}
