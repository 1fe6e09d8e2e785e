// Matrix-matrix (prefill): y[t, n] (+)= Σ_k x[t, k]·W[n, k]  for t < step.n_tokens
// Bindings: 1 step · 2 x[T, W_K] · 3 y[T, W_N] · 4/5 W and 7 its shape (common/weights.wgsl)
// Dispatch: (ceil(W_N / 32), ceil(T / 32)). A workgroup of 64 computes a 32×32 tile of y:
// thread (tx, ty) owns rows t0+ty+8i and columns n0+tx+8j (i, j < 4); x and dequantized W
// tiles of 32 columns are staged in workgroup memory.  BIAS adds bias[n]; `mat.accumulate` adds into y.
// CPU reference: cpu::matmul.
#include "common/step.wgsl"
#include "common/weights.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
#include "common/output.wgsl"

const TILE: u32 = 32u;
const KQ: u32 = 8u; // quads per k-step (32 columns)
var<workgroup> xs: array<vec4<f32>, 256>; // [TILE tokens][KQ quads]
var<workgroup> ws: array<vec4<f32>, 256>; // [TILE rows][KQ quads]

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let n0 = wid.x * TILE;
    let t0 = wid.y * TILE;
    let tx = lid.x % 8u;
    let ty = lid.x / 8u;
    let n_tokens = step.n_tokens;
    var acc: array<vec4<f32>, 4>;
    for (var k0 = 0u; k0 < mat.k4; k0 += KQ) {
        for (var i = 0u; i < 4u; i++) {
            let idx = lid.x + 64u * i;
            let r = idx / KQ;
            let q = k0 + idx % KQ;
            var xv = vec4<f32>(0.0);
            if t0 + r < n_tokens && q < mat.k4 {
                xv = x[(t0 + r) * mat.k4 + q];
            }
            xs[idx] = xv;
            var wv = vec4<f32>(0.0);
            if n0 + r < mat.n && q < mat.k4 {
                wv = w_quad(n0 + r, q);
            }
            ws[idx] = wv;
        }
        workgroupBarrier();
        for (var kq = 0u; kq < KQ; kq++) {
            let b = vec4<u32>(tx, tx + 8u, tx + 16u, tx + 24u) * KQ + kq;
            let w0 = ws[b.x];
            let w1 = ws[b.y];
            let w2 = ws[b.z];
            let w3 = ws[b.w];
            for (var i = 0u; i < 4u; i++) {
                let a = xs[(ty + 8u * i) * KQ + kq];
                acc[i] += vec4<f32>(dot(a, w0), dot(a, w1), dot(a, w2), dot(a, w3));
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let t = t0 + ty + 8u * i;
        if t >= n_tokens {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let n = n0 + tx + 8u * j;
            if n < mat.n {
                store_y(t, n, acc[i][j]);
            }
        }
    }
}
