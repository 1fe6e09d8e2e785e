// Add each token's position row over a packed encoder batch: x[start_b + p, :] += table[p, :]
// for the tokens p < len_b of each sequence b (BERT position + token-type embeddings).
// Bindings: 1 step · 3 x[T, W] (in place) · 6 table[max_pos, W] · 8 spans[B] (start, len).
// Dispatch: (ceil(W / 64), B · seq_len).  CPU reference: cpu::add_rows.
#include "common/step.wgsl"
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(6) var<storage, read> table: array<f32>;
@group(0) @binding(8) var<storage, read> spans: array<vec2<u32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let b = gid.y / step.seq_len;
    let p = gid.y % step.seq_len;
    if i >= W || b >= step.n_seqs {
        return;
    }
    let span = spans[b];
    if p < span.y {
        x[(span.x + p) * W + i] += table[p * W + i];
    }
}
