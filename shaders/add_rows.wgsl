// Add a per-position row: x[t, :] += table[t % seq_len, :] (BERT position + token-type embeddings).
// Bindings: 1 step · 3 x[T, W] (in place) · 6 table[max_pos, W].  Dispatch: (ceil(W / 64), T).
// CPU reference: cpu::add_rows.
#include "common/step.wgsl"
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(6) var<storage, read> table: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    if i >= W || t >= step.n_tokens {
        return;
    }
    x[t * W + i] += table[(t % step.seq_len) * W + i];
}
