// After the stacked q/k/v projection, in one launch: q_rot[t] = rope(q[t]) (H heads), the K
// cache row pos0+t = rope(k[t]) (KVH heads), the V cache row pos0+t = v[t] (pairing and angles:
// common/rope.wgsl), where qkv[t] = (q[t, H·HD], k[t, KVH·HD], v[t, KVH·HD]). Replaces three
// launches (rope q, rope k into the cache, copy v into the cache): two fewer per layer (each
// costs ~60 µs on lavapipe).
// Bindings: 1 step · 2 qkv[T, (H + 2·KVH)·HD] · 3 q_rot · 5 k_cache[CTX, KVH·HD] · 6 table
//           · 8 v_cache
// Dispatch: (ceil(((H + KVH)·HD/2 + KVH·HD/2) / 64), T).  CPU reference: cpu::rope + a copy.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read_write> q_rot: array<f32>;
@group(0) @binding(5) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(6) var<storage, read> table: array<vec2<f32>>;
@group(0) @binding(8) var<storage, read_write> v_cache: array<f32>;
#include "common/rope.wgsl"

const QKV: u32 = (H + 2u * KVH) * HD;

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
        let src = t * QKV + h * HD;
        let r = rope_rotate(qkv[src + ab.x], qkv[src + ab.y], pos, p);
        let dst = (t * H + h) * HD;
        q_rot[dst + ab.x] = r.x;
        q_rot[dst + ab.y] = r.y;
    } else if i < (H + KVH) * HALF {
        let j = i - H * HALF;
        let h = j / HALF;
        let p = j % HALF;
        let ab = rope_pair(p);
        let src = t * QKV + (H + h) * HD;
        let r = rope_rotate(qkv[src + ab.x], qkv[src + ab.y], pos, p);
        let d = (pos * KVH + h) * HD;
        k_cache[d + ab.x] = r.x;
        k_cache[d + ab.y] = r.y;
    } else if i < (H + 2u * KVH) * HALF {
        // V rows move two values per invocation (HD is even).
        let j = 2u * (i - (H + KVH) * HALF);
        let src = t * QKV + (H + KVH) * HD + j;
        v_cache[pos * KVH * HD + j] = qkv[src];
        v_cache[pos * KVH * HD + j + 1u] = qkv[src + 1u];
    }
}
