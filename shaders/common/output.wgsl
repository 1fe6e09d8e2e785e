// The output of the matrix kernels (matvec, matmul and their _rows variants):
// y[t·y_stride + y_offset + n] = v (+ bias[n] with BIAS; then gelu(·) with GELU, not with
// accumulate), or += with `mat.accumulate` (the fused residual add). A stacked projection whose
// parts' formats differ writes each part's column range of wider rows (y_stride, y_offset in
// common/matrix_shape.wgsl).
// With `mat.swiglu` (rows kernels only) W is gate rows 0..F then up rows F..2F (F = n/2) and
// the kernel writes act[t, i] = silu(gate)·up (`store_owned`).
// Binds 3 y and, with BIAS, 6 bias[n]. Callers skip n past the rows and t past the tokens.
// With Y_LEN (B_LEN) y (bias) is declared with the bound buffer's length
// (`GpuContext::sized_bindings`).
#ifdef GELU
#include "common/gelu.wgsl"
#endif
#ifdef Y_LEN
@group(0) @binding(3) var<storage, read_write> y: array<f32, Y_LEN>;
#else
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#endif
#ifdef BIAS
#ifdef B_LEN
@group(0) @binding(6) var<storage, read> bias: array<f32, B_LEN>;
#else
@group(0) @binding(6) var<storage, read> bias: array<f32>;
#endif
#endif

fn store_y(t: u32, n: u32, value: f32) {
    var v = value;
#ifdef BIAS
    v += bias[n];
#endif
#ifdef GELU
    // One lane of the vector form (the other three are dead code to the compilers).
    v = gelu4(vec4<f32>(v)).x;
#endif
    let i = t * mat.y_stride + mat.y_offset + n;
    if mat.accumulate != 0u {
        v += y[i];
    }
    y[i] = v;
}

// SwiGLU's value silu(g)·u, the same expression as swiglu.wgsl.
fn silu_times(g: f32, u: f32) -> f32 {
    return g / (1.0 + exp(-g)) * u;
}

// The 8 weight rows invocation x owns in the rows kernels, as two vec4s (half 0, 1): rows
// 8x .. 8x+7, or with swiglu gate rows 4x .. 4x+3 (half 0) and their up rows (half 1); rows past
// the end read the last one (valid memory). Eight rows rather than four: two FMAs per broadcast
// x value (common/x_block.wgsl) where four rows have one.
fn owned_rows(x: u32, half: u32) -> vec4<u32> {
    if mat.swiglu != 0u {
        let f = mat.n / 2u;
        return min(vec4<u32>(4u * x) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(f - 1u)) + vec4<u32>(half * f);
    }
    return min(vec4<u32>(8u * x + 4u * half) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(mat.n - 1u));
}

#ifdef GELU
// Bias of rows r .. r+3 (rows past n repeat the last: their values are not written).
fn bias4(r: u32) -> vec4<f32> {
#ifdef BIAS
    let last = vec4<u32>(mat.n - 1u);
    let i = min(vec4<u32>(r) + vec4<u32>(0u, 1u, 2u, 3u), last);
    return vec4<f32>(bias[i.x], bias[i.y], bias[i.z], bias[i.w]);
#else
    return vec4<f32>(0.0);
#endif
}
#endif

// Token t's values of the rows invocation x owns (`owned_rows`; a, b: halves 0 and 1):
// y[t, row] (rows past n skipped), or with swiglu act[t, 4x + i] = silu(gate)·up.
fn store_owned(t: u32, x: u32, a: vec4<f32>, b: vec4<f32>) {
#ifdef GELU
    // GELU (never with accumulate or swiglu) on the 8 values as two vectors, where `store_y`
    // takes them one by one through the vector form: MiniLM's 32-sentence batch in Chromium
    // (SwiftShader), alternated runs, 2054–2144 → 1955–2058 ms (without any GELU: ~2000).
    let ga = gelu4(a + bias4(8u * x));
    let gb = gelu4(b + bias4(8u * x + 4u));
    for (var i = 0u; i < 4u; i++) {
        if 8u * x + i < mat.n {
            y[t * mat.y_stride + mat.y_offset + 8u * x + i] = ga[i];
        }
        if 8u * x + 4u + i < mat.n {
            y[t * mat.y_stride + mat.y_offset + 8u * x + 4u + i] = gb[i];
        }
    }
#else
    if mat.swiglu != 0u {
        for (var i = 0u; i < 4u; i++) {
            if 4u * x + i < mat.n / 2u {
                y[t * mat.y_stride + mat.y_offset + 4u * x + i] = silu_times(a[i], b[i]);
            }
        }
        return;
    }
    for (var i = 0u; i < 4u; i++) {
        if 8u * x + i < mat.n {
            store_y(t, 8u * x + i, a[i]);
        }
        if 8u * x + 4u + i < mat.n {
            store_y(t, 8u * x + 4u + i, b[i]);
        }
    }
#endif
}
