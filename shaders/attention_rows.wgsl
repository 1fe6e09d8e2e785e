// Causal grouped-query attention, one query row per invocation, without workgroup memory or
// barriers (for CPU-emulated adapters, where a workgroup's invocations run as SIMD lanes and a
// barrier is a fiber or coroutine switch):
//   out[t, h, :] = Σ_{j ≤ pos0+t} softmax_j(SCALE · q[t, h]·k[j, g]) · v[j, g],  g = h / (H / KVH)
// A workgroup holds 8 consecutive tokens of QPW heads of one KV group, so at every key all its
// invocations read the same K and V rows; with SG8 / SG4 (subgroups of 8 / 4 lanes; HD = 64, or
// 32 with HD32) each lane loads HD4 / SG of a row's quads and `subgroupBroadcast` hands them to
// the others (CPU emulations turn every per-lane load into a gather), and each invocation scores
// the row against its token's QPW heads (1..4, dividing H / KVH), written out with the flags
// QH1 (QPW ≥ 2), QH2 (≥ 3), QH3 (= 4) as in attention_split.wgsl: the broadcasts, an extract
// and a splat per value, are shared by the heads. Without subgroups QPW = 1. An online
// (running max, running sum) softmax keeps q, the accumulator and two scalars per head, for any
// context length. Lanes whose causal window ended sit out the remaining keys (their
// probabilities are 0).
// ENCODER: bidirectional over a packed batch instead (as attention.wgsl's ENCODER) — the n
// tokens of sequence b, starting at s (spans[b] = (s, n)), attend to keys s .. s + n of k/v
// activations [T, KVH·HD]. A workgroup holds up to 8 tokens of one sequence (so its lanes share
// the keys); the tiles past a sequence's length have nothing to do.
// Bindings: 1 step · 2 q[T, H·HD] · 3 out[T, H·HD] · 6 k_cache[CTX, KVH·HD] · 7 v_cache
//           · 8 spans[batch] (ENCODER)
// Dispatch: (ceil(T / 8), H / QPW); ENCODER (batch · ceil(seq_len / 8), H / QPW). Needs
// HD % 4 == 0, HD ≤ 256.
// CPU reference: cpu::attention, cpu::encoder_attention.
// With ACT_LEN q, out, k and v are declared with their buffers' common length in quads
// (`GpuContext::sized_bindings`: no `arrayLength` behind each load's bounds clamp).
#include "common/step.wgsl"
#ifdef ACT_LEN
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>, ACT_LEN>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>, ACT_LEN>;
@group(0) @binding(6) var<storage, read> k_cache: array<vec4<f32>, ACT_LEN>;
@group(0) @binding(7) var<storage, read> v_cache: array<vec4<f32>, ACT_LEN>;
#else
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> v_cache: array<vec4<f32>>;
#endif
#ifdef ENCODER
@group(0) @binding(8) var<storage, read> spans: array<vec2<u32>>;
#endif

const HD4: u32 = HD / 4u;
const NEG: f32 = -3.0e38;
#ifdef HD32
#include "common/row8.wgsl"
#else
#include "common/row16.wgsl"
#endif

#ifdef SUBGROUPS
// A head row as quads: 16 (HD = 64) or 8 (HD32: HD = 32).
alias Row = array<vec4<f32>, HD4>;
#endif
#ifdef HD32
// An 8-quad row from the quads lanes loaded (common/share_block.wgsl).
#include "common/share_block.wgsl"
#ifdef SG8
fn k_row(base: u32, lane: u32) -> Row {
    return share_block(k_cache[base + lane]);
}
fn v_row(base: u32, lane: u32) -> Row {
    return share_block(v_cache[base + lane]);
}
#endif
#ifdef SG4
fn k_row(base: u32, lane: u32) -> Row {
    return share_block(k_cache[base + lane], k_cache[base + 4u + lane]);
}
fn v_row(base: u32, lane: u32) -> Row {
    return share_block(v_cache[base + lane], v_cache[base + 4u + lane]);
}
#endif
#else
#ifdef SG8
// A 16-quad row from the quads lanes loaded: lane i has quads i (a) and 8 + i (b).
fn shared_row(a: vec4<f32>, b: vec4<f32>) -> Row {
    return Row(subgroupBroadcast(a, 0u), subgroupBroadcast(a, 1u), subgroupBroadcast(a, 2u), subgroupBroadcast(a, 3u),
               subgroupBroadcast(a, 4u), subgroupBroadcast(a, 5u), subgroupBroadcast(a, 6u), subgroupBroadcast(a, 7u),
               subgroupBroadcast(b, 0u), subgroupBroadcast(b, 1u), subgroupBroadcast(b, 2u), subgroupBroadcast(b, 3u),
               subgroupBroadcast(b, 4u), subgroupBroadcast(b, 5u), subgroupBroadcast(b, 6u), subgroupBroadcast(b, 7u));
}
fn k_row(base: u32, lane: u32) -> Row {
    return shared_row(k_cache[base + lane], k_cache[base + 8u + lane]);
}
fn v_row(base: u32, lane: u32) -> Row {
    return shared_row(v_cache[base + lane], v_cache[base + 8u + lane]);
}
#endif
#ifdef SG4
// A 16-quad row from the quads lanes loaded: lane i has quads i, 4 + i, 8 + i, 12 + i.
fn shared_row(a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>) -> Row {
    return Row(subgroupBroadcast(a, 0u), subgroupBroadcast(a, 1u), subgroupBroadcast(a, 2u), subgroupBroadcast(a, 3u),
               subgroupBroadcast(b, 0u), subgroupBroadcast(b, 1u), subgroupBroadcast(b, 2u), subgroupBroadcast(b, 3u),
               subgroupBroadcast(c, 0u), subgroupBroadcast(c, 1u), subgroupBroadcast(c, 2u), subgroupBroadcast(c, 3u),
               subgroupBroadcast(d, 0u), subgroupBroadcast(d, 1u), subgroupBroadcast(d, 2u), subgroupBroadcast(d, 3u));
}
fn k_row(base: u32, lane: u32) -> Row {
    return shared_row(k_cache[base + lane], k_cache[base + 4u + lane], k_cache[base + 8u + lane], k_cache[base + 12u + lane]);
}
fn v_row(base: u32, lane: u32) -> Row {
    return shared_row(v_cache[base + lane], v_cache[base + 4u + lane], v_cache[base + 8u + lane], v_cache[base + 12u + lane]);
}
#endif
#endif

#ifdef SUBGROUPS
// One head's online softmax over the keys so far.
struct Online {
    m: f32,
    l: f32,
    acc: Row,
}

// `st` after one more key with row k, value row v; a key outside the lane's window (`live`
// false) leaves it as it was.
fn step_key(st: Online, qv: Row, k: Row, v: Row, live: bool) -> Online {
#ifdef HD32
    let s = select(NEG, dot8(qv, k), live);
#else
    let s = select(NEG, dot16(qv, k), live);
#endif
    let m_new = max(st.m, s);
    let corr = exp(st.m - m_new);
    let p = select(0.0, exp(s - m_new), live);
#ifdef HD32
    return Online(m_new, st.l * corr + p, update8(st.acc, corr, p, v));
#else
    return Online(m_new, st.l * corr + p, update16(st.acc, corr, p, v));
#endif
}

// Head row `base` of q, pre-scaled.
fn query(base: u32) -> Row {
    var r: Row;
    for (var d = 0u; d < HD4; d++) {
        r[d] = q[base + d] * SCALE;
    }
    return r;
}

fn store(base: u32, st: Online) {
    for (var d = 0u; d < HD4; d++) {
        out[base + d] = st.acc[d] / st.l;
    }
}
#endif

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>
#ifdef SUBGROUPS
        , @builtin(subgroup_invocation_id) lane: u32
#endif
        ) {
    let h = wid.y * QPW;
    let g = h / (H / KVH);
#ifdef ENCODER
    // Up to 8 tokens of one sequence, against all its keys.
    let tiles = (step.seq_len + 7u) / 8u;
    let span = spans[wid.x / tiles];
    let key0 = span.x;
    let t0 = key0 + (wid.x % tiles) * 8u;
    let t_end = key0 + span.y;
    if t0 >= t_end {
        return;
    }
    let n_keys = span.y;
    let mine = n_keys;
#else
    let t0 = wid.x * 8u;
    let t_end = step.n_tokens;
    // Keys every lane of the workgroup needs: up to the last token's position.
    let key0 = 0u;
    let n_keys = step.pos0 + min(t0 + 8u, step.n_tokens);
#endif
    let t = min(t0 + lid.x, t_end - 1u);
#ifndef ENCODER
    let mine = step.pos0 + t + 1u;
#endif
    let qbase = (t * H + h) * HD4;
#ifdef SUBGROUPS
    let q0 = query(qbase);
    var s0 = Online(NEG, 0.0, Row());
#ifdef QH1
    let q1 = query(qbase + HD4);
    var s1 = Online(NEG, 0.0, Row());
#endif
#ifdef QH2
    let q2 = query(qbase + 2u * HD4);
    var s2 = Online(NEG, 0.0, Row());
#endif
#ifdef QH3
    let q3 = query(qbase + 3u * HD4);
    var s3 = Online(NEG, 0.0, Row());
#endif
    for (var j = 0u; j < n_keys; j++) {
        let kbase = ((key0 + j) * KVH + g) * HD4;
        let k = k_row(kbase, lane);
        let v = v_row(kbase, lane);
        let live = j < mine;
        s0 = step_key(s0, q0, k, v, live);
#ifdef QH1
        s1 = step_key(s1, q1, k, v, live);
#endif
#ifdef QH2
        s2 = step_key(s2, q2, k, v, live);
#endif
#ifdef QH3
        s3 = step_key(s3, q3, k, v, live);
#endif
    }
    if t0 + lid.x < t_end {
        store(qbase, s0);
#ifdef QH1
        store(qbase + HD4, s1);
#endif
#ifdef QH2
        store(qbase + 2u * HD4, s2);
#endif
#ifdef QH3
        store(qbase + 3u * HD4, s3);
#endif
    }
#else
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
        var s4 = vec4<f32>(0.0);
        for (var d = 0u; d < HD4; d++) {
            s4 += qv[d] * k_cache[kbase + d];
        }
        let qk = s4.x + s4.y + s4.z + s4.w;
        let s = select(NEG, qk, j < mine);
        let m_new = max(m, s);
        let corr = exp(m - m_new);
        let p = select(0.0, exp(s - m_new), j < mine);
        l = l * corr + p;
        for (var d = 0u; d < HD4; d++) {
            acc[d] = acc[d] * corr + p * v_cache[kbase + d];
        }
        m = m_new;
    }
    if t0 + lid.x < t_end {
        for (var d = 0u; d < HD4; d++) {
            out[qbase + d] = acc[d] / l;
        }
    }
#endif
}
