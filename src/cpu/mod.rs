//! Reference kernels in plain Rust, llama2.c style: the definition each WGSL kernel is tested
//! against. Shapes are row-major; `W` is [n rows × k cols] as in GGUF (y = x·Wᵀ).

/// out[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) · gamma
pub fn rms_norm(x: &[f32], gamma: &[f32], eps: f32) -> Vec<f32> {
    let n = gamma.len();
    let mut out = vec![0.0; x.len()];
    for (row, o) in x.chunks(n).zip(out.chunks_mut(n)) {
        let ss: f64 = row.iter().map(|&v| (v as f64) * (v as f64)).sum();
        let scale = 1.0 / ((ss / n as f64) as f32 + eps).sqrt();
        for i in 0..n {
            o[i] = row[i] * scale * gamma[i];
        }
    }
    out
}

/// y[t, j] = Σ_k x[t, k] · w[j, k]   (x: [T, k], w: [n, k] → y: [T, n])
pub fn matmul(x: &[f32], w: &[f32], k: usize) -> Vec<f32> {
    let n = w.len() / k;
    let mut y = Vec::with_capacity(x.len() / k * n);
    for xr in x.chunks(k) {
        for wr in w.chunks(k) {
            y.push(xr.iter().zip(wr).map(|(a, b)| (*a as f64) * (*b as f64)).sum::<f64>() as f32);
        }
    }
    y
}

/// Rotate every head of x ([T, heads·head_dim]) at positions pos0.. (see shaders/rope.wgsl).
pub fn rope(x: &[f32], shape: crate::gpu::kernels::RopeShape, pos0: u32, table: &[[f32; 2]]) -> Vec<f32> {
    let (hd, n_rot) = (shape.head_dim as usize, shape.n_rot as usize);
    let mut out = x.to_vec();
    for (t, row) in out.chunks_mut(shape.heads as usize * hd).enumerate() {
        let pos = pos0 as usize + t;
        for head in row.chunks_mut(hd) {
            for p in 0..n_rot / 2 {
                let (a, b) = match shape.mode {
                    crate::gpu::kernels::RopeMode::Normal => (2 * p, 2 * p + 1),
                    crate::gpu::kernels::RopeMode::Neox => (p, p + n_rot / 2),
                };
                let [c, s] = table[pos * (n_rot / 2) + p];
                let (x0, x1) = (head[a], head[b]);
                head[a] = x0 * c - x1 * s;
                head[b] = x0 * s + x1 * c;
            }
        }
    }
    out
}

/// Causal GQA: q [T, H·HD] at positions pos0.., caches [pos0+T, KVH·HD].
pub fn attention(q: &[f32], k_cache: &[f32], v_cache: &[f32], s: crate::gpu::kernels::AttentionShape, pos0: usize) -> Vec<f32> {
    let (h, kvh, hd) = (s.heads as usize, s.kv_heads as usize, s.head_dim as usize);
    let mut out = vec![0.0; q.len()];
    for t in 0..q.len() / (h * hd) {
        let n_keys = pos0 + t + 1;
        for head in 0..h {
            let g = head / (h / kvh);
            let qv = &q[(t * h + head) * hd..][..hd];
            let scores: Vec<f32> = (0..n_keys)
                .map(|j| qv.iter().zip(&k_cache[(j * kvh + g) * hd..][..hd]).map(|(a, b)| a * b).sum::<f32>() * s.scale)
                .collect();
            let m = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let e: Vec<f32> = scores.iter().map(|v| (v - m).exp()).collect();
            let sum: f32 = e.iter().sum();
            let o = &mut out[(t * h + head) * hd..][..hd];
            for (j, p) in e.iter().enumerate() {
                for d in 0..hd {
                    o[d] += p / sum * v_cache[(j * kvh + g) * hd + d];
                }
            }
        }
    }
    out
}

/// silu(gate) · up
pub fn swiglu(gate: &[f32], up: &[f32]) -> Vec<f32> {
    gate.iter().zip(up).map(|(g, u)| g / (1.0 + (-g).exp()) * u).collect()
}

/// out[r, :] = (x[r, :] − mean) / sqrt(var + eps) · gamma + beta   (biased variance, f64 sums)
pub fn layer_norm(x: &[f32], gamma: &[f32], beta: &[f32], eps: f32) -> Vec<f32> {
    let n = gamma.len();
    let mut out = vec![0.0; x.len()];
    for (row, o) in x.chunks(n).zip(out.chunks_mut(n)) {
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
        let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        let inv = 1.0 / (var + eps as f64).sqrt();
        for i in 0..n {
            o[i] = ((row[i] as f64 - mean) * inv * gamma[i] as f64 + beta[i] as f64) as f32;
        }
    }
    out
}

/// GELU, exact form: x/2 · (1 + erf(x/√2))
pub fn gelu(x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| (0.5 * v as f64 * (1.0 + libm::erf(v as f64 / std::f64::consts::SQRT_2))) as f32).collect()
}

/// (first row, rows) of each sequence of a packed batch whose sequences hold `lens` rows.
pub fn spans(lens: &[u32]) -> Vec<(usize, usize)> {
    lens.iter().scan(0, |start, &n| {
        let span = (*start, n as usize);
        *start += n as usize;
        Some(span)
    }).collect()
}

/// Bidirectional attention over a packed batch: sequence b holds lens[b] consecutive rows of
/// q, k, v ([T, H·HD], KVH = H or grouped) and attends to its own keys only.
pub fn encoder_attention(q: &[f32], k: &[f32], v: &[f32], s: crate::gpu::kernels::AttentionShape, lens: &[u32]) -> Vec<f32> {
    let (h, kvh, hd) = (s.heads as usize, s.kv_heads as usize, s.head_dim as usize);
    let mut out = Vec::with_capacity(q.len());
    for (start, n) in spans(lens) {
        let rows = |a: &[f32], w: usize| a[start * w..][..n * w].to_vec();
        let (kb, vb) = (rows(k, kvh * hd), rows(v, kvh * hd));
        // Every query sees all n keys: causal attention with the queries placed after them.
        for qt in rows(q, h * hd).chunks(h * hd) {
            out.extend(attention(qt, &kb, &vb, s, n - 1));
        }
    }
    out
}

/// Pool each sequence of a packed x ([Σ lens, d]; sequence b holds lens[b] rows), then
/// L2-normalize.
pub fn pool(x: &[f32], d: usize, lens: &[u32], mode: crate::gpu::kernels::Pooling, normalize: bool) -> Vec<f32> {
    use crate::gpu::kernels::Pooling;
    let mut out = Vec::with_capacity(lens.len() * d);
    for (start, n) in spans(lens) {
        let row = |t: usize| &x[(start + t) * d..][..d];
        let mut v: Vec<f64> = match mode {
            Pooling::Mean => (0..d).map(|i| (0..n).map(|t| row(t)[i] as f64).sum::<f64>() / n as f64).collect(),
            Pooling::Cls => row(0).iter().map(|&a| a as f64).collect(),
            Pooling::Last => row(n - 1).iter().map(|&a| a as f64).collect(),
        };
        if normalize {
            let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt().max(1e-12);
            v.iter_mut().for_each(|a| *a /= norm);
        }
        out.extend(v.into_iter().map(|a| a as f32));
    }
    out
}

/// x[start_b + p, :] += table[p, :] for token p of each sequence b of a packed x (sequence b
/// holds lens[b] rows).
pub fn add_rows(x: &mut [f32], table: &[f32], width: usize, lens: &[u32]) {
    for (start, n) in spans(lens) {
        for (p, row) in x[start * width..][..n * width].chunks_mut(width).enumerate() {
            for (a, b) in row.iter_mut().zip(&table[p * width..]) {
                *a += b;
            }
        }
    }
}
