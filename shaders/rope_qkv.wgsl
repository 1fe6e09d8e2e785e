// After the q/k/v projections, in one launch: q_rot[t] = rope(q[t]) (H heads), the K cache row
// pos0+t = rope(k[t]) (KVH heads), the V cache row pos0+t = v[t] (pairing and angles:
// common/rope.wgsl). Replaces three launches (rope q, rope k into the cache, copy v into the cache): two
// fewer per layer (each costs ~60 µs on lavapipe).
// Bindings: 1 step · 2 q[T, H·HD] · 3 q_rot · 4 k[T, KVH·HD] · 5 k_cache[CTX, KVH·HD]
//           · 6 table · 7 v[T, KVH·HD] · 8 v_cache
// Dispatch: (ceil(((H + KVH)·HD/2 + KVH·HD/2) / 64), T).  CPU reference: cpu::rope + a copy.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read_write> q_rot: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(6) var<storage, read> table: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read> v: array<vec2<f32>>;
@group(0) @binding(8) var<storage, read_write> v_cache: array<vec2<f32>>;
#include "common/rope.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    let pos = step.pos0 + t;
    if t >= step.n_tokens {
        return;
    }
    if i < H * HALF {
        let h = i / HALF;
        let p = i % HALF;
        let ab = rope_pair(p);
        let base = (t * H + h) * HD;
        let r = rope_rotate(q[base + ab.x], q[base + ab.y], pos, p);
        q_rot[base + ab.x] = r.x;
        q_rot[base + ab.y] = r.y;
    } else if i < (H + KVH) * HALF {
        let j = i - H * HALF;
        let h = j / HALF;
        let p = j % HALF;
        let ab = rope_pair(p);
        let r = rope_rotate(k[(t * KVH + h) * HD + ab.x], k[(t * KVH + h) * HD + ab.y], pos, p);
        let d = (pos * KVH + h) * HD;
        k_cache[d + ab.x] = r.x;
        k_cache[d + ab.y] = r.y;
    } else if i < (H + 2u * KVH) * HALF {
        // V rows move as f32 pairs (HD is even).
        let j = i - (H + KVH) * HALF;
        v_cache[pos * KVH * HALF + j] = v[t * KVH * HALF + j];
    }
}
