// Matrix-vector (decode) without workgroup memory: y[t, n] (+)= Σ_k x[t, k]·W[n, k].
// Each invocation owns 4 whole rows (`owned_rows`: 4x .. 4x+3, full K): per 32-column block it loads the x
// block once (the same address for every invocation: one broadcast load on SIMD-across-
// invocations emulators like lavapipe) and each row's block once (dequantized in registers).
// No barriers, no reduction. Rows past the end read row W_N-1 and are not written.
// With `mat.swiglu` an invocation owns act rows i, i+1: gate rows i, i+1 and up rows F+i, F+i+1.
// Bindings: 2 x[T, W_K] · 3 y[T, W_N] · 4/5 W and 7 its shape (common/weights.wgsl) · 6 bias.
// Dispatch: (ceil(W_N / (4·WG)), T).  CPU reference: cpu::matmul.
#include "common/weights.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
#include "common/output.wgsl"

const WG: u32 = 8u;

@compute @workgroup_size(8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let t = wid.y;
    let r = owned_rows(gid.x);
    let xrow = t * mat.k4;
    var acc = vec4<f32>(0.0);
    for (var b = 0u; b < mat.blocks; b++) {
        let xb = xrow + 8u * b;
        let xq = array<vec4<f32>, 8>(x[xb], x[xb + 1u], x[xb + 2u], x[xb + 3u], x[xb + 4u], x[xb + 5u], x[xb + 6u], x[xb + 7u]);
        acc += vec4<f32>(w_block_dot(r.x, b, xq), w_block_dot(r.y, b, xq), w_block_dot(r.z, b, xq), w_block_dot(r.w, b, xq));
    }
    // Quads past the last whole block (unquantized rows only: block formats are whole blocks;
    // leaving the loop out of those variants saves a quarter of their compile in browsers).
#ifndef W_QUANTIZED
    for (var q = 8u * mat.blocks; q < mat.k4; q++) {
        let xv = x[xrow + q];
        acc += vec4<f32>(dot(xv, w_quad(r.x, q)), dot(xv, w_quad(r.y, q)), dot(xv, w_quad(r.z, q)), dot(xv, w_quad(r.w, q)));
    }
#endif
    store_owned(t, gid.x, acc);
}
