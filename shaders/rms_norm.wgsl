// RMSNorm: out[r, i] = x[r, i] / sqrt(mean(x[r, :]²) + EPS) · gamma[i]
// Bindings: 1 step · 2 x[T, N] · 3 out · 6 gamma[N]
// Dispatch: (1, T) one workgroup per row; (1, 1) normalizes row step.n_tokens-1 into out row 0
// (the last row only: the final norm before the head). One pipeline for both (the same
// thing when T = 1): a browser compiles it once.  CPU reference: cpu::rms_norm.
// The row is summed by common/reduce.wgsl (SUBGROUPS: one subgroup, no barriers); with VEC4
// (N % 4 == 0) loaded in quads (common/norm_row.wgsl).
#include "common/step.wgsl"
#include "common/reduce.wgsl"
#include "common/norm_row.wgsl"
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read_write> out: array<V>;
@group(0) @binding(6) var<storage, read> gamma: array<V>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    if wid.y >= step.n_tokens {
        return;
    }
    let last_row = groups.y == 1u;
    let src = select(wid.y, step.n_tokens - 1u, last_row) * W;
    let dst = select(src, 0u, last_row);
    var s = V(0.0);
    for (var i = lid.x; i < W; i += WG) {
        let v = x[src + i];
        s += v * v;
    }
    let scale = 1.0 / sqrt(workgroup_sum(lid.x, total(s)) / f32(N) + EPS);
    for (var i = lid.x; i < W; i += WG) {
        out[dst + i] = x[src + i] * scale * gamma[i];
    }
}
