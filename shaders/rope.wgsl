// Rotary position embedding on H heads of HD dims; the first N_ROT dims of each head rotate
// (pairing and angles: common/rope.wgsl).
// Bindings: 1 step · 2 src[T, H·HD] · 3 dst · 6 table[CTX · N_ROT/2] (cos, sin)
// Dispatch: (ceil(H·HD/2 / 64), T). TO_CACHE writes row pos0+t of dst (the K cache), else row t.
// CPU reference: cpu::rope.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read> table: array<vec2<f32>>;
#include "common/rope.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    if i >= H * HALF || t >= step.n_tokens {
        return;
    }
    let h = i / HALF;
    let p = i % HALF;
    let pos = step.pos0 + t;
#ifdef TO_CACHE
    let row = pos;
#else
    let row = t;
#endif
    let ab = rope_pair(p);
    let s = (t * H + h) * HD;
    let d = (row * H + h) * HD;
    let r = rope_rotate(src[s + ab.x], src[s + ab.y], pos, p);
    dst[d + ab.x] = r.x;
    dst[d + ab.y] = r.y;
}
