// The shape of one matrix launch (W: W_N rows × W_K columns in the kernels' comments), a
// per-dispatch uniform (gpu::MatrixShape) rather than constants: one pipeline per weight format
// then serves every matrix of a model. Pipelines are what a browser's load waits on (SwiftShader
// compiles a matrix pipeline in 0.1–0.3 s).
struct MatrixShape {
    k4: u32,         // W_K / 4: 4-column quads per row
    blocks: u32,     // W_K / 32: whole 32-column blocks per row
    n: u32,          // rows of W (with swiglu: gate rows 0..F, then up rows F..2F)
    y_stride: u32,   // elements per row of y
    y_offset: u32,   // column of y where this matrix's outputs start
    accumulate: u32, // 1: y += x·Wᵀ (the fused residual add)
    swiglu: u32,     // 1 (rows kernels): y[t, i] = silu(gate_i)·up_i, F = n / 2 columns
    _pad: u32,
}
@group(0) @binding(7) var<uniform> mat: MatrixShape;
