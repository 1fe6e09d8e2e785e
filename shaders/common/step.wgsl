// Per-forward values, written once before each submit (gpu::Step on the Rust side).
struct Step {
    n_tokens: u32, // tokens in this forward (T)
    pos0: u32,     // absolute position of the first of them (= tokens already in the KV cache)
    seq_len: u32,  // encoders: tokens per padded sequence (batch = n_tokens / seq_len)
    _pad: u32,
}
@group(0) @binding(1) var<uniform> step: Step;
