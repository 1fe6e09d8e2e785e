// The output of the matrix kernels (matvec, matmul and their _rows variants):
// y[t, n] = v (+ bias[n] with BIAS), or y[t, n] += … with ACCUMULATE (the fused residual add).
// With Y_STRIDE / Y_OFFSET the matrix writes a column range of wider rows,
// y[t·Y_STRIDE + Y_OFFSET + n] (one part of a stacked projection whose formats differ).
// With SWIGLU (rows kernels only) W is gate rows 0..F then up rows F..2F (F = W_N/2) and the
// kernel writes act[t, i] = silu(gate)·up (`store_owned`).
// Binds 3 y and, with BIAS, 6 bias[W_N]. Callers skip n past the rows and t past the tokens.
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#ifdef BIAS
@group(0) @binding(6) var<storage, read> bias: array<f32>;
#endif
#ifdef SWIGLU
const F: u32 = W_N / 2u;
#endif
#ifndef Y_STRIDE
#ifdef SWIGLU
const Y_STRIDE: u32 = F;
#else
const Y_STRIDE: u32 = W_N;
#endif
const Y_OFFSET: u32 = 0u;
#endif

fn store_y(t: u32, n: u32, value: f32) {
    var v = value;
#ifdef BIAS
    v += bias[n];
#endif
#ifdef ACCUMULATE
    y[t * Y_STRIDE + Y_OFFSET + n] += v;
#else
    y[t * Y_STRIDE + Y_OFFSET + n] = v;
#endif
}

// The 4 weight rows invocation x owns in the rows kernels: 4x .. 4x+3, or with SWIGLU gate rows
// 2x, 2x+1 and up rows F+2x, F+2x+1; rows past the end read the last one (valid memory).
fn owned_rows(x: u32) -> vec4<u32> {
#ifdef SWIGLU
    let g = min(vec2<u32>(2u * x, 2u * x + 1u), vec2<u32>(F - 1u));
    return vec4<u32>(g, F + g);
#else
    return min(vec4<u32>(4u * x) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(W_N - 1u));
#endif
}

// Token t's values of the 4 rows invocation x owns (`owned_rows`): y[t, 4x .. 4x+3] (rows past
// W_N skipped), or with SWIGLU act[t, 2x + i] = silu(gate)·up, the same expression as
// swiglu.wgsl.
fn store_owned(t: u32, x: u32, v: vec4<f32>) {
#ifdef SWIGLU
    for (var i = 0u; i < 2u; i++) {
        if 2u * x + i < F {
            let g = v[i];
            y[t * Y_STRIDE + Y_OFFSET + 2u * x + i] = g / (1.0 + exp(-g)) * v[i + 2u];
        }
    }
#else
    for (var i = 0u; i < 4u; i++) {
        if 4u * x + i < W_N {
            store_y(t, 4u * x + i, v[i]);
        }
    }
#endif
}
