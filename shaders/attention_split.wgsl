// Causal grouped-query attention for one token's query rows, its keys split across the
// invocations (flash-decoding inside a workgroup). A workgroup takes QPW query heads of one KV
// group (g = h / (H / KVH)) and loads each K and V row once for all of them: on the CPU
// emulations every invocation's load is a gather, so sharing the rows across the group's heads
// cuts decode attention's loads by QPW (SmolLM2: 3). Invocation i scores keys i, i+WG, … with
// its own online softmax per head (running max m, sum l, accumulator acc), and after the single
// barrier the invocations merge the WG partial results of each head, a dim quad each (with
// SUBGROUPS, where the workgroup is one subgroup, subgroup operations merge them instead):
//   out[t, h, :] = Σ_i e^{m_i−M}·acc_i / Σ_i e^{m_i−M}·l_i,  M = max_i m_i
// No per-key barriers (each is a fiber or coroutine switch on CPU emulations), so decode's
// single query row keeps every lane busy.
// Bindings: 1 step · 2 q[T, H·HD] · 3 out[T, H·HD] · 6 k_cache[CTX, KVH·HD] · 7 v_cache
// WG is the workgroup size (the emulators' subgroup: 4 on SwiftShader, 8 on lavapipe); QPW
// (1..4, dividing H / KVH; 1 unless HD64) the heads per workgroup, written out with the flags
// QH1 (QPW ≥ 2), QH2 (≥ 3), QH3 (= 4): a loop over heads would index the per-head state by a
// variable, which SwiftShader reaches lane by lane.
// Without SUBGROUPS: WG·QPW·HD/4 vec4 partials in workgroup memory (the launcher keeps them
// within the limit).
// HD64 (64-wide heads): the per-key steps written out (common/row16.wgsl).
// ROPE_IN (decode, T = 1; HD64, QPW = H / KVH, llama's pairing with every pair rotated): rope_qkv
// folded in. `q` is then the q|k|v projection's row; the workgroup ropes its query heads as it
// loads them, and the lane whose turn the new key is ropes that key, scores it and the value
// from registers and writes both into the caches (its workgroup alone reads that KV group).
// SPLIT (decode, T = 1, with SUBGROUPS; flash-decoding across workgroups): the keys in up to
// SPLIT chunks (of SPLIT_MIN keys at least; the rest are empty), chunk c to workgroup row c,
// so a few KV groups still fill every core. Each workgroup writes its heads' unnormalized
// partial results instead of output rows (an empty chunk: l = 0) — acc at quad
// (c·H + h)·HD4 + d of `out`, (m, l, 0, 0) at quad SPLIT·H·HD4 + c·H + h — and the o
// projection's x loads merge them (common/x_block.wgsl X_SPLIT): no merge launch.
// Dispatch: (H / QPW, T), with SPLIT (H / QPW, SPLIT). Needs HD % 4 == 0, HD ≤ 256.
// CPU reference: cpu::attention (with ROPE_IN after cpu::rope).
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
#ifdef ROPE_IN
@group(0) @binding(6) var<storage, read_write> k_cache: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> v_cache: array<vec4<f32>>;
// (cos θ, sin θ) of pairs 2i and 2i + 1 of position pos at [pos·HD/4 + i] (gpu::kernels::rope_table).
@group(0) @binding(8) var<storage, read> table: array<vec4<f32>>;
const QKV4: u32 = (H + 2u * KVH) * HD / 4u;
#else
@group(0) @binding(6) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> v_cache: array<vec4<f32>>;
#endif

const HD4: u32 = HD / 4u;
#ifdef SPLIT
// Shorter chunks cost more in per-workgroup work (the query heads, the merge) than they gain in
// balance: on lavapipe at 128–256 cached keys two chunks of any length were 0.3–0.6 ms slower
// per token over 30 layers, at 512 2 ms faster.
const SPLIT_MIN: u32 = 128u;
#endif
const NEG: f32 = -3.0e38;
#include "common/row16.wgsl"

// One head's online softmax over the keys this invocation has seen.
struct Online {
    m: f32,
    l: f32,
    acc: array<vec4<f32>, HD4>,
}

#ifdef ROPE_IN
// Quad d (pairs 2d and 2d + 1, llama's pairing) rotated to position pos (common/rope.wgsl's
// rotation).
fn rope4(v: vec4<f32>, pos: u32, d: u32) -> vec4<f32> {
    let cs = table[pos * HD4 + d];
    return vec4<f32>(v.x * cs.x - v.y * cs.y, v.x * cs.y + v.y * cs.x, v.z * cs.z - v.w * cs.w, v.z * cs.w + v.w * cs.z);
}
#endif

// The head's query row (rotated with ROPE_IN), pre-scaled.
fn query(base: u32, pos: u32) -> array<vec4<f32>, HD4> {
    var r: array<vec4<f32>, HD4>;
    for (var d = 0u; d < HD4; d++) {
#ifdef ROPE_IN
        r[d] = rope4(q[base + d], pos, d) * SCALE;
#else
        r[d] = q[base + d] * SCALE;
#endif
    }
    return r;
}

#ifdef HD64
// The rows as values, for sharing across the heads: only for 64-wide heads (with 256-wide ones
// and two heads a lavapipe test ran 20 minutes without finishing, so longer heads take QPW = 1
// and the loops below).
fn k_row(i: u32) -> array<vec4<f32>, 16> {
    return array<vec4<f32>, 16>(k_cache[i], k_cache[i + 1u], k_cache[i + 2u], k_cache[i + 3u], k_cache[i + 4u], k_cache[i + 5u], k_cache[i + 6u], k_cache[i + 7u],
                                k_cache[i + 8u], k_cache[i + 9u], k_cache[i + 10u], k_cache[i + 11u], k_cache[i + 12u], k_cache[i + 13u], k_cache[i + 14u], k_cache[i + 15u]);
}
fn v_row(i: u32) -> array<vec4<f32>, 16> {
    return array<vec4<f32>, 16>(v_cache[i], v_cache[i + 1u], v_cache[i + 2u], v_cache[i + 3u], v_cache[i + 4u], v_cache[i + 5u], v_cache[i + 6u], v_cache[i + 7u],
                                v_cache[i + 8u], v_cache[i + 9u], v_cache[i + 10u], v_cache[i + 11u], v_cache[i + 12u], v_cache[i + 13u], v_cache[i + 14u], v_cache[i + 15u]);
}

// `st` after one more key with row k, value row v.
fn step_key(st: Online, qv: array<vec4<f32>, 16>, k: array<vec4<f32>, 16>, v: array<vec4<f32>, 16>) -> Online {
    let s = dot16(qv, k);
    let m_new = max(st.m, s);
    let corr = exp(st.m - m_new);
    let p = exp(s - m_new);
    return Online(m_new, st.l * corr + p, update16(st.acc, corr, p, v));
}

#ifdef ROPE_IN
// The new key (rotated to pos) and value rows of KV head g, from the q|k|v row at `base`.
fn new_k_row(base: u32, pos: u32) -> array<vec4<f32>, 16> {
    var r: array<vec4<f32>, 16>;
    for (var d = 0u; d < 16u; d++) {
        r[d] = rope4(q[base + d], pos, d);
    }
    return r;
}
fn new_v_row(base: u32) -> array<vec4<f32>, 16> {
    return array<vec4<f32>, 16>(q[base], q[base + 1u], q[base + 2u], q[base + 3u], q[base + 4u], q[base + 5u], q[base + 6u], q[base + 7u],
                                q[base + 8u], q[base + 9u], q[base + 10u], q[base + 11u], q[base + 12u], q[base + 13u], q[base + 14u], q[base + 15u]);
}
#endif
#else
// In place, reading the rows from the cache (QPW = 1).
fn step_key(st: ptr<function, Online>, qv: ptr<function, array<vec4<f32>, HD4>>, kbase: u32) {
    var s4 = vec4<f32>(0.0);
    for (var d = 0u; d < HD4; d++) {
        s4 += (*qv)[d] * k_cache[kbase + d];
    }
    let s = s4.x + s4.y + s4.z + s4.w;
    let m_new = max((*st).m, s);
    let corr = exp((*st).m - m_new);
    let p = exp(s - m_new);
    (*st).l = (*st).l * corr + p;
    for (var d = 0u; d < HD4; d++) {
        (*st).acc[d] = (*st).acc[d] * corr + p * v_cache[kbase + d];
    }
    (*st).m = m_new;
}
#endif

#ifdef SUBGROUPS
// The workgroup is one subgroup (WG = SG): merge the invocations' partial results for one head
// with subgroup operations and write its output row at quad `base` (with SPLIT the chunk's
// unnormalized row, and (m, l) at quad `ml`). No workgroup memory and no barrier, which
// SwiftShader compiles as a coroutine: with the barrier this kernel took it 0.3 s to compile
// for one head per workgroup and 0.8 s for three.
fn finish(base: u32, ml: u32, lane: u32, st: Online) {
    let big = subgroupMax(st.m);
    // Invocations that saw no key have l = 0 and contribute nothing.
    let w = select(0.0, exp(st.m - big), st.l > 0.0);
    let l = subgroupAdd(w * st.l);
    var acc: array<vec4<f32>, HD4>;
    for (var d = 0u; d < HD4; d++) {
        acc[d] = subgroupAdd(w * st.acc[d]);
    }
    if lane == 0u {
#ifdef SPLIT
        for (var d = 0u; d < HD4; d++) {
            out[base + d] = acc[d];
        }
        out[ml] = vec4<f32>(big, l, 0.0, 0.0);
#else
        for (var d = 0u; d < HD4; d++) {
            out[base + d] = acc[d] / l;
        }
#endif
    }
}
#else
// Partial results: [invocation · QPW + head].
var<workgroup> part_m: array<f32, WG * QPW>;
var<workgroup> part_l: array<f32, WG * QPW>;
var<workgroup> part_acc: array<array<vec4<f32>, HD4>, WG * QPW>;

fn save(i: u32, st: Online) {
    part_m[i] = st.m;
    part_l[i] = st.l;
    part_acc[i] = st.acc;
}
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let h0 = wid.x * QPW;
#ifdef SPLIT
    let t = 0u;
    let n_keys = step.pos0 + 1u;
    // This workgroup's chunk of the keys: [first, end), at least SPLIT_MIN keys a chunk.
    let per = max((n_keys + SPLIT - 1u) / SPLIT, SPLIT_MIN);
    let first = wid.y * per;
    let end = min(first + per, n_keys);
    let obase = (wid.y * H + h0) * HD4;
    let mlbase = SPLIT * H * HD4 + wid.y * H + h0;
#else
    let t = wid.y;
    let n_keys = step.pos0 + t + 1u;
    let first = 0u;
    let end = n_keys;
    let obase = (t * H + h0) * HD4;
    let mlbase = 0u;
#endif
    let g = h0 / (H / KVH);
    let pos = n_keys - 1u;
#ifdef ROPE_IN
    let qbase = t * QKV4 + h0 * HD4;
    // The new key is scored after the loop, from registers.
    let n_cached = min(end, pos);
#else
    let qbase = (t * H + h0) * HD4;
    let n_cached = end;
#endif
    var q0 = query(qbase, pos);
    var s0 = Online(NEG, 0.0, array<vec4<f32>, HD4>());
#ifdef QH1
    let q1 = query(qbase + HD4, pos);
    var s1 = Online(NEG, 0.0, array<vec4<f32>, HD4>());
#endif
#ifdef QH2
    let q2 = query(qbase + 2u * HD4, pos);
    var s2 = Online(NEG, 0.0, array<vec4<f32>, HD4>());
#endif
#ifdef QH3
    let q3 = query(qbase + 3u * HD4, pos);
    var s3 = Online(NEG, 0.0, array<vec4<f32>, HD4>());
#endif
    for (var j = first + lid.x; j < n_cached; j += WG) {
        let kbase = (j * KVH + g) * HD4;
#ifdef HD64
        let k = k_row(kbase);
        let v = v_row(kbase);
        s0 = step_key(s0, q0, k, v);
#else
        step_key(&s0, &q0, kbase);
#endif
#ifdef QH1
        s1 = step_key(s1, q1, k, v);
#endif
#ifdef QH2
        s2 = step_key(s2, q2, k, v);
#endif
#ifdef QH3
        s3 = step_key(s3, q3, k, v);
#endif
    }
#ifdef ROPE_IN
    // The lane whose turn key `pos` is (as in the loop) takes it from the projection.
    if pos >= first && pos < end && lid.x == (pos - first) % WG {
        let k = new_k_row(t * QKV4 + (H + g) * HD4, pos);
        let v = new_v_row(t * QKV4 + (H + KVH + g) * HD4);
        s0 = step_key(s0, q0, k, v);
#ifdef QH1
        s1 = step_key(s1, q1, k, v);
#endif
#ifdef QH2
        s2 = step_key(s2, q2, k, v);
#endif
#ifdef QH3
        s3 = step_key(s3, q3, k, v);
#endif
        let cbase = (pos * KVH + g) * HD4;
        for (var d = 0u; d < 16u; d++) {
            k_cache[cbase + d] = k[d];
            v_cache[cbase + d] = v[d];
        }
    }
#endif
#ifdef SUBGROUPS
    finish(obase, mlbase, lid.x, s0);
#ifdef QH1
    finish(obase + HD4, mlbase + 1u, lid.x, s1);
#endif
#ifdef QH2
    finish(obase + 2u * HD4, mlbase + 2u, lid.x, s2);
#endif
#ifdef QH3
    finish(obase + 3u * HD4, mlbase + 3u, lid.x, s3);
#endif
#else
    save(lid.x * QPW, s0);
#ifdef QH1
    save(lid.x * QPW + 1u, s1);
#endif
#ifdef QH2
    save(lid.x * QPW + 2u, s2);
#endif
#ifdef QH3
    save(lid.x * QPW + 3u, s3);
#endif
    workgroupBarrier();
    for (var hq = 0u; hq < QPW; hq++) {
        var big = NEG;
        for (var i = 0u; i < WG; i++) {
            big = max(big, part_m[i * QPW + hq]);
        }
        for (var dq = lid.x; dq < HD4; dq += WG) {
            var o = vec4<f32>(0.0);
            var sum = 0.0;
            for (var i = 0u; i < WG; i++) {
                // Invocations that saw no key have l = 0 and contribute nothing.
                let w = select(0.0, exp(part_m[i * QPW + hq] - big), part_l[i * QPW + hq] > 0.0);
                o += w * part_acc[i * QPW + hq][dq];
                sum += w * part_l[i * QPW + hq];
            }
            out[obase + hq * HD4 + dq] = o / sum;
        }
    }
#endif
}
