// Sentence pooling over a packed batch, one workgroup per sequence b (its n tokens start at s):
//   POOL_MEAN: out[b] = Σ_{t<n} x[s + t] / n     POOL_CLS: x[s]     POOL_LAST: x[s + n − 1]
// then, with NORMALIZE, out[b] /= max(‖out[b]‖₂, 1e-12) (sentence-transformers' Normalize).
// Bindings: 2 x[T, D] · 3 out[B, D] · 8 spans[B] (s, n).  Dispatch: (B, 1).
// CPU reference: cpu::pool.
#include "common/reduce.wgsl"
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<storage, read> spans: array<vec2<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let b = wid.x;
    let base = spans[b].x;
    let n = spans[b].y;
    var ss = 0.0;
    for (var i = lid.x; i < D; i += WG) {
#ifdef POOL_MEAN
        var s = 0.0;
        for (var t = 0u; t < n; t++) {
            s += x[(base + t) * D + i];
        }
        let v = s / f32(n);
#endif
#ifdef POOL_CLS
        let v = x[base * D + i];
#endif
#ifdef POOL_LAST
        let v = x[(base + n - 1u) * D + i];
#endif
        out[b * D + i] = v;
        ss += v * v;
    }
#ifdef NORMALIZE
    let inv = 1.0 / max(sqrt(workgroup_sum(lid.x, ss)), 1e-12);
    for (var i = lid.x; i < D; i += WG) {
        out[b * D + i] *= inv;
    }
#endif
}
