// Causal grouped-query attention, one query row per invocation, without workgroup memory or
// barriers (for CPU-emulated adapters, where a workgroup's invocations run as SIMD lanes and a
// barrier is a fiber or coroutine switch):
//   out[t, h, :] = Σ_{j ≤ pos0+t} softmax_j(SCALE · q[t, h]·k[j, g]) · v[j, g],  g = h / (H / KVH)
// A workgroup holds 8 consecutive tokens of one head, so at every key all its invocations read
// the same K and V rows; with SG8 / SG4 (subgroups of 8 / 4 lanes, HD = 64) each lane
// loads 16 / SG of a row's quads and `subgroupBroadcast` hands them to the others (CPU
// emulations turn every per-lane load into a gather). An online (running max, running sum) softmax
// keeps q, the accumulator and two scalars per invocation, for any context length. Lanes whose
// causal window ended sit out the remaining keys (their probabilities are 0).
// ENCODER: bidirectional over the padded batch instead (as attention.wgsl's ENCODER) — token t
// of sequence b = t / seq_len attends to keys b·seq_len .. b·seq_len + lens[b] of k/v
// activations [T, KVH·HD]; the key loop runs to seq_len and masks the padding.
// Bindings: 1 step · 2 q[T, H·HD] · 3 out[T, H·HD] · 6 k_cache[CTX, KVH·HD] · 7 v_cache
//           · 8 lens[batch] (ENCODER)
// Dispatch: (ceil(T / 8), H). Needs HD % 4 == 0, HD ≤ 256.
// CPU reference: cpu::attention, cpu::encoder_attention.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> v_cache: array<vec4<f32>>;
#ifdef ENCODER
@group(0) @binding(8) var<storage, read> lens: array<u32>;
#endif

const HD4: u32 = HD / 4u;
const NEG: f32 = -3.0e38;
#include "common/row16.wgsl"

#ifdef SG8
// A 16-quad row from the quads lanes loaded: lane i has quads i (a) and 8 + i (b).
fn shared16(a: vec4<f32>, b: vec4<f32>) -> array<vec4<f32>, 16> {
    return array<vec4<f32>, 16>(subgroupBroadcast(a, 0u), subgroupBroadcast(a, 1u), subgroupBroadcast(a, 2u), subgroupBroadcast(a, 3u),
                                subgroupBroadcast(a, 4u), subgroupBroadcast(a, 5u), subgroupBroadcast(a, 6u), subgroupBroadcast(a, 7u),
                                subgroupBroadcast(b, 0u), subgroupBroadcast(b, 1u), subgroupBroadcast(b, 2u), subgroupBroadcast(b, 3u),
                                subgroupBroadcast(b, 4u), subgroupBroadcast(b, 5u), subgroupBroadcast(b, 6u), subgroupBroadcast(b, 7u));
}
fn k_row(base: u32, lane: u32) -> array<vec4<f32>, 16> {
    return shared16(k_cache[base + lane], k_cache[base + 8u + lane]);
}
fn v_row(base: u32, lane: u32) -> array<vec4<f32>, 16> {
    return shared16(v_cache[base + lane], v_cache[base + 8u + lane]);
}
#endif
#ifdef SG4
// A 16-quad row from the quads lanes loaded: lane i has quads i, 4 + i, 8 + i, 12 + i.
fn shared16(a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>) -> array<vec4<f32>, 16> {
    return array<vec4<f32>, 16>(subgroupBroadcast(a, 0u), subgroupBroadcast(a, 1u), subgroupBroadcast(a, 2u), subgroupBroadcast(a, 3u),
                                subgroupBroadcast(b, 0u), subgroupBroadcast(b, 1u), subgroupBroadcast(b, 2u), subgroupBroadcast(b, 3u),
                                subgroupBroadcast(c, 0u), subgroupBroadcast(c, 1u), subgroupBroadcast(c, 2u), subgroupBroadcast(c, 3u),
                                subgroupBroadcast(d, 0u), subgroupBroadcast(d, 1u), subgroupBroadcast(d, 2u), subgroupBroadcast(d, 3u));
}
fn k_row(base: u32, lane: u32) -> array<vec4<f32>, 16> {
    return shared16(k_cache[base + lane], k_cache[base + 4u + lane], k_cache[base + 8u + lane], k_cache[base + 12u + lane]);
}
fn v_row(base: u32, lane: u32) -> array<vec4<f32>, 16> {
    return shared16(v_cache[base + lane], v_cache[base + 4u + lane], v_cache[base + 8u + lane], v_cache[base + 12u + lane]);
}
#endif

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>
#ifdef SUBGROUPS
        , @builtin(subgroup_invocation_id) lane: u32
#endif
        ) {
    let h = wid.y;
    let g = h / (H / KVH);
    let t0 = wid.x * 8u;
    let t = min(t0 + lid.x, step.n_tokens - 1u);
#ifdef ENCODER
    let key0 = (t / step.seq_len) * step.seq_len;
    let n_keys = step.seq_len;
    let mine = lens[t / step.seq_len];
#else
    // Keys every lane of the workgroup needs: up to the last token's position.
    let key0 = 0u;
    let n_keys = step.pos0 + min(t0 + 8u, step.n_tokens);
    let mine = step.pos0 + t + 1u;
#endif
    let qbase = (t * H + h) * HD4;
    var qv: array<vec4<f32>, HD4>;
    for (var d = 0u; d < HD4; d++) {
        qv[d] = q[qbase + d] * SCALE;
    }
    var acc: array<vec4<f32>, HD4>;
    for (var d = 0u; d < HD4; d++) {
        acc[d] = vec4<f32>(0.0);
    }
    var m = NEG;
    var l = 0.0;
    for (var j = 0u; j < n_keys; j++) {
        let kbase = ((key0 + j) * KVH + g) * HD4;
#ifdef SUBGROUPS
        let qk = dot16(qv, k_row(kbase, lane));
#else
        var s4 = vec4<f32>(0.0);
        for (var d = 0u; d < HD4; d++) {
            s4 += qv[d] * k_cache[kbase + d];
        }
        let qk = s4.x + s4.y + s4.z + s4.w;
#endif
        let s = select(NEG, qk, j < mine);
        let m_new = max(m, s);
        let corr = exp(m - m_new);
        let p = select(0.0, exp(s - m_new), j < mine);
        l = l * corr + p;
#ifdef SUBGROUPS
        acc = update16(acc, corr, p, v_row(kbase, lane));
#else
        for (var d = 0u; d < HD4; d++) {
            acc[d] = acc[d] * corr + p * v_cache[kbase + d];
        }
#endif
        m = m_new;
    }
    if t0 + lid.x < step.n_tokens {
        for (var d = 0u; d < HD4; d++) {
            out[qbase + d] = acc[d] / l;
        }
    }
}
