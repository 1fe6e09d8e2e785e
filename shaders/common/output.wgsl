// The output of the matrix kernels (matvec, matmul and their _rows variants):
// y[t, n] = v (+ bias[n] with BIAS), or y[t, n] += … with ACCUMULATE (the fused residual add).
// Binds 3 y[T, W_N] and, with BIAS, 6 bias[W_N]. Callers skip n ≥ W_N and t past the tokens.
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#ifdef BIAS
@group(0) @binding(6) var<storage, read> bias: array<f32>;
#endif

fn store_y(t: u32, n: u32, value: f32) {
    var v = value;
#ifdef BIAS
    v += bias[n];
#endif
#ifdef ACCUMULATE
    y[t * W_N + n] += v;
#else
    y[t * W_N + n] = v;
#endif
}
