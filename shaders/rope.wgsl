// Rotary position embedding on H heads of HD dims; the first N_ROT dims of each head rotate.
// Pair p of a head (p < N_ROT/2) is (2p, 2p+1) in llama.cpp's normal mode, (p, p+N_ROT/2) in
// NEOX mode; angle θ = pos·freq_p comes from the (cos θ, sin θ) table built on the CPU.
//   dst[a] = x[a]·cos θ − x[b]·sin θ,  dst[b] = x[a]·sin θ + x[b]·cos θ
// Bindings: 1 step · 2 src[T, H·HD] · 3 dst · 6 table[CTX · N_ROT/2] (cos, sin)
// Dispatch: (ceil(H·HD/2 / 64), T). TO_CACHE writes row pos0+t of dst (the K cache), else row t.
// CPU reference: cpu::rope.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read> table: array<vec2<f32>>;

const HALF: u32 = HD / 2u;
const ROT_HALF: u32 = N_ROT / 2u;

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
#ifdef NEOX
    var a = p;
    var b = p + ROT_HALF;
    if p >= ROT_HALF {
        a = N_ROT + 2u * (p - ROT_HALF);
        b = a + 1u;
    }
#else
    let a = 2u * p;
    let b = a + 1u;
#endif
#ifdef TO_CACHE
    let row = pos;
#else
    let row = t;
#endif
    let s = (t * H + h) * HD;
    let d = (row * H + h) * HD;
    let x0 = src[s + a];
    let x1 = src[s + b];
    if p < ROT_HALF {
        let cs = table[pos * ROT_HALF + p];
        dst[d + a] = x0 * cs.x - x1 * cs.y;
        dst[d + b] = x0 * cs.y + x1 * cs.x;
    } else {
        dst[d + a] = x0;
        dst[d + b] = x1;
    }
}
