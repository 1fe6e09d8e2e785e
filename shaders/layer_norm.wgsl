// LayerNorm: out[r, i] = (x[r, i] − mean(x[r, :])) / sqrt(var(x[r, :]) + EPS) · gamma[i] + beta[i]
// (biased variance, two passes over the row for accuracy). With VEC4 (N % 4 == 0) the passes
// load quads (common/norm_row.wgsl).
// With ACT_LEN x and out are declared with their buffers' common length in elements V, gamma
// and beta with W (`GpuContext::sized_bindings`: no `arrayLength` behind each bounds clamp).
// Bindings: 1 step · 2 x[T, N] · 3 out · 6 gamma[N] · 7 beta[N]
// Dispatch: (1, T) one workgroup per row.  CPU reference: cpu::layer_norm.
#include "common/step.wgsl"
#include "common/reduce.wgsl"
#include "common/norm_row.wgsl"
#ifdef ACT_LEN
@group(0) @binding(2) var<storage, read> x: array<V, ACT_LEN>;
@group(0) @binding(3) var<storage, read_write> out: array<V, ACT_LEN>;
@group(0) @binding(6) var<storage, read> gamma: array<V, W>;
@group(0) @binding(7) var<storage, read> beta: array<V, W>;
#else
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read_write> out: array<V>;
@group(0) @binding(6) var<storage, read> gamma: array<V>;
@group(0) @binding(7) var<storage, read> beta: array<V>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    if wid.y >= step.n_tokens {
        return;
    }
    let base = wid.y * W;
    var s = V(0.0);
    for (var i = lid.x; i < W; i += WG) {
        s += x[base + i];
    }
    let mean = workgroup_sum(lid.x, total(s)) / f32(N);
    var s2 = V(0.0);
    for (var i = lid.x; i < W; i += WG) {
        let d = x[base + i] - mean;
        s2 += d * d;
    }
    let inv_std = 1.0 / sqrt(workgroup_sum(lid.x, total(s2)) / f32(N) + EPS);
    for (var i = lid.x; i < W; i += WG) {
        out[base + i] = (x[base + i] - mean) * inv_std * gamma[i] + beta[i];
    }
}
