// Matrix-vector (decode): y[t, n] (+)= Σ_k x[t, k]·W[n, k]   (GGUF: W is [W_N rows × W_K cols], y = x·Wᵀ)
// Bindings: 2 x[T, W_K] · 3 y[T, W_N] · 4/5 W and 7 its shape (common/weights.wgsl)
// Dispatch: (ceil(W_N / 32), T). A workgroup of 64 = 8 row groups × 8 lanes covers 32 rows:
// the thread of (group g, lane l) computes rows g, g+8, g+16, g+24 of the tile over the
// 32-column blocks l, l+8, … (adjacent lanes read adjacent blocks; each x block is loaded once
// for four rows; scales are applied once per block), then over any 4-column quads past the last
// whole block; lanes reduce through shared memory.
// BIAS adds bias[n]; `mat.accumulate` adds into y (fused residual add).  CPU reference: cpu::matmul.
#include "common/weights.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
#include "common/output.wgsl"

const GROUPS: u32 = 8u;
const LANES: u32 = 8u;
const TILE: u32 = 32u;
var<workgroup> partial: array<vec4<f32>, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = wid.y;
    let g = lid.x / LANES;
    let lane = lid.x % LANES;
    let n0 = wid.x * TILE + g;
    // Rows past the end read row W_N-1 (valid memory) and are not written.
    let rows = min(vec4<u32>(n0, n0 + 8u, n0 + 16u, n0 + 24u), vec4<u32>(mat.n - 1u));
    let xrow = t * mat.k4;
    var acc = vec4<f32>(0.0);
    for (var b = lane; b < mat.blocks; b += LANES) {
        let xb = xrow + 8u * b;
        let xq = array<vec4<f32>, 8>(x[xb], x[xb + 1u], x[xb + 2u], x[xb + 3u], x[xb + 4u], x[xb + 5u], x[xb + 6u], x[xb + 7u]);
        let xs = block_sum(xq);
        acc += vec4<f32>(w_block_dot(rows.x, b, xq, xs), w_block_dot(rows.y, b, xq, xs), w_block_dot(rows.z, b, xq, xs), w_block_dot(rows.w, b, xq, xs));
    }
    // Quads past the last whole block (unquantized rows only: block formats are whole blocks;
    // leaving the loop out of those variants saves a quarter of their compile in browsers).
#ifndef W_QUANTIZED
    for (var q = 8u * mat.blocks + lane; q < mat.k4; q += LANES) {
        let xv = x[xrow + q];
        acc += vec4<f32>(dot(xv, w_quad(rows.x, q)), dot(xv, w_quad(rows.y, q)), dot(xv, w_quad(rows.z, q)), dot(xv, w_quad(rows.w, q)));
    }
#endif
    partial[lid.x] = acc;
    workgroupBarrier();
    if lane < 4u {
        let n = n0 + 8u * lane;
        if n < mat.n {
            var s = 0.0;
            for (var l = 0u; l < LANES; l++) {
                s += partial[g * LANES + l][lane];
            }
            store_y(t, n, s);
        }
    }
}
