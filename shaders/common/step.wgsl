// Per-forward values, written once before each submit (gpu::Step on the Rust side).
struct Step {
    n_tokens: u32, // tokens in this forward (T)
    pos0: u32,     // absolute position of the first of them (= tokens already in the KV cache)
    seq_len: u32,  // encoders: tokens of the longest sequence (sequences packed, unpadded)
    n_seqs: u32,   // encoders: sequences in the batch
}
@group(0) @binding(1) var<uniform> step: Step;
