// Rotary position embedding of one pair of a head (shared by rope.wgsl and rope_qkv.wgsl).
// Pair p of a head (p < HD/2) is (2p, 2p+1) in llama.cpp's normal mode, (p, p+N_ROT/2) in NEOX
// mode (pairs past N_ROT/2 map to the unrotated tail); only pairs p < N_ROT/2 rotate, by
// θ = pos·freq_p from the (cos θ, sin θ) table:  a' = a·cos θ − b·sin θ,  b' = a·sin θ + b·cos θ
// Needs: HD, N_ROT, and `table: array<vec2<f32>>` bound by the including shader.
const HALF: u32 = HD / 2u;
const ROT_HALF: u32 = N_ROT / 2u;

// Indices (a, b) of pair p within a head.
fn rope_pair(p: u32) -> vec2<u32> {
#ifdef NEOX
    if p >= ROT_HALF {
        let a = N_ROT + 2u * (p - ROT_HALF);
        return vec2<u32>(a, a + 1u);
    }
    return vec2<u32>(p, p + ROT_HALF);
#else
    return vec2<u32>(2u * p, 2u * p + 1u);
#endif
}

// The pair (x0, x1) = (x[a], x[b]) at position pos, rotated when p < N_ROT/2.
fn rope_rotate(x0: f32, x1: f32, pos: u32, p: u32) -> vec2<f32> {
    if p >= ROT_HALF {
        return vec2<f32>(x0, x1);
    }
    let cs = table[pos * ROT_HALF + p];
    return vec2<f32>(x0 * cs.x - x1 * cs.y, x0 * cs.y + x1 * cs.x);
}
