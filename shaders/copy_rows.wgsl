// KV append: dst[pos0 + t, :] = src[t, :] for rows of W floats (the V cache).
// Bindings: 1 step · 2 src[T, W] · 3 dst[CTX, W].  Dispatch: (ceil(W / 64), T).
// CPU reference: a slice copy (cpu::copy_rows).
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    if i >= W || t >= step.n_tokens {
        return;
    }
    dst[(step.pos0 + t) * W + i] = src[t * W + i];
}
