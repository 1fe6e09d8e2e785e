// Embedding gather: out[t, :] = dequant(W[ids[t], :]).  Also the GPU dequantizer under test.
// Bindings: 2 ids[T] u32 · 3 out[T, W_K] f32 · 4/5 W and 7 its shape (common/weights.wgsl)
// Dispatch: (ceil(W_K/4 / 64), T).  CPU reference: quant::dequantize on the selected rows.
#include "common/weights.wgsl"
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let q = gid.x;
    let t = gid.y;
    if q >= mat.k4 {
        return;
    }
    out[t * mat.k4 + q] = w_quad(ids[t], q);
}
