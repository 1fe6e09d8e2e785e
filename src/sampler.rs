//! Choosing the next token from logits, in llama.cpp's order: logit bias → penalties
//! (repetition over the last `repeat_last_n` tokens of prompt + output; presence and frequency
//! with OpenAI semantics) → top-k → top-p → min-p → temperature → a draw from a seeded PRNG of
//! our own (SplitMix64), so one seed gives the same tokens on every platform.
//! `temperature == 0` is greedy: argmax after bias and penalties, lowest id on ties.

use crate::error::{HearthError, Result};

#[derive(Clone, Debug, PartialEq)]
pub struct SamplingParams {
    /// 0 = greedy. Must be ≥ 0.
    pub temperature: f32,
    /// Keep the k most likely tokens; 0 = off.
    pub top_k: usize,
    /// Keep the smallest set whose probability reaches p; in (0, 1], 1 = off.
    pub top_p: f32,
    /// Drop tokens whose probability is below min_p × the top probability; in [0, 1], 0 = off.
    pub min_p: f32,
    /// > 0; 1 = off. Divides positive logits, multiplies negative ones, of recent tokens.
    pub repeat_penalty: f32,
    /// How many recent tokens the repetition penalty looks at.
    pub repeat_last_n: usize,
    /// Subtracted once from the logit of every token already present (OpenAI), in [-2, 2].
    pub presence_penalty: f32,
    /// Subtracted per occurrence (OpenAI), in [-2, 2].
    pub frequency_penalty: f32,
    /// Added to the logits of the given ids (OpenAI `logit_bias`, in [-100, 100]).
    pub logit_bias: Vec<(u32, f32)>,
    /// Seed of the PRNG; `None` = a fixed default (still reproducible).
    pub seed: Option<u64>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            presence_penalty: 0.0,
            frequency_penalty: 0.0,
            logit_bias: Vec::new(),
            seed: None,
        }
    }
}

fn bad(what: String) -> HearthError {
    HearthError::InvalidArgument(what)
}

impl SamplingParams {
    /// Reject invalid values with a message naming the parameter (no silent clamping).
    pub fn validate(&self, vocab: usize) -> Result<()> {
        let p = self;
        if !(p.temperature >= 0.0 && p.temperature.is_finite()) {
            return Err(bad(format!("temperature must be a finite number ≥ 0, got {}", p.temperature)));
        }
        if !(p.top_p > 0.0 && p.top_p <= 1.0) {
            return Err(bad(format!("top_p must be in (0, 1], got {}", p.top_p)));
        }
        if !(0.0..=1.0).contains(&p.min_p) {
            return Err(bad(format!("min_p must be in [0, 1], got {}", p.min_p)));
        }
        if !(p.repeat_penalty > 0.0 && p.repeat_penalty.is_finite()) {
            return Err(bad(format!("repeat_penalty must be a finite number > 0, got {}", p.repeat_penalty)));
        }
        for (name, v) in [("presence_penalty", p.presence_penalty), ("frequency_penalty", p.frequency_penalty)] {
            if !(-2.0..=2.0).contains(&v) {
                return Err(bad(format!("{name} must be in [-2, 2], got {v}")));
            }
        }
        for &(id, b) in &p.logit_bias {
            if id as usize >= vocab {
                return Err(bad(format!("logit_bias names token {id}, outside the vocabulary of {vocab}")));
            }
            if !(-100.0..=100.0).contains(&b) {
                return Err(bad(format!("logit_bias for token {id} must be in [-100, 100], got {b}")));
            }
        }
        Ok(())
    }
}

/// SplitMix64: tiny, well-distributed, identical on every platform.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub struct Sampler {
    pub params: SamplingParams,
    rng: Rng,
}

/// Candidates (id, logit) sorted by logit, highest first, lowest id first on ties.
fn sorted(logits: &[f32]) -> Vec<(u32, f32)> {
    let mut c: Vec<(u32, f32)> = logits.iter().enumerate().filter(|(_, l)| !l.is_nan()).map(|(i, &l)| (i as u32, l)).collect();
    c.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    c
}

/// Softmax of the candidates' logits divided by `temp` (f64 for a stable sum).
fn probs(c: &[(u32, f32)], temp: f64) -> Vec<f64> {
    let max = c.first().map(|x| x.1 as f64).unwrap_or(0.0);
    let e: Vec<f64> = c.iter().map(|x| ((x.1 as f64 - max) / temp).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

impl Sampler {
    pub fn new(params: SamplingParams, vocab: usize) -> Result<Sampler> {
        params.validate(vocab)?;
        let rng = Rng::new(params.seed.unwrap_or(0x4845_4152_5448));
        Ok(Sampler { params, rng })
    }

    /// Apply logit bias and penalties in place; `history` is prompt + generated ids so far,
    /// `generated` how many of its last ids were generated (presence/frequency count those,
    /// as OpenAI does; repetition looks at the last `repeat_last_n` of all).
    pub fn adjust(&self, logits: &mut [f32], history: &[u32], generated: usize) {
        let p = &self.params;
        for &(id, b) in &p.logit_bias {
            logits[id as usize] += b;
        }
        if p.repeat_penalty != 1.0 {
            let recent = &history[history.len().saturating_sub(p.repeat_last_n)..];
            let mut seen: Vec<u32> = recent.to_vec();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                if let Some(l) = logits.get_mut(id as usize) {
                    *l = if *l > 0.0 { *l / p.repeat_penalty } else { *l * p.repeat_penalty };
                }
            }
        }
        if p.presence_penalty != 0.0 || p.frequency_penalty != 0.0 {
            let mut counts = std::collections::BTreeMap::<u32, u32>::new();
            for &id in &history[history.len().saturating_sub(generated)..] {
                *counts.entry(id).or_default() += 1;
            }
            for (id, n) in counts {
                if let Some(l) = logits.get_mut(id as usize) {
                    *l -= p.presence_penalty + p.frequency_penalty * n as f32;
                }
            }
        }
    }

    /// The candidate set left after top-k, top-p and min-p (sorted, highest first).
    pub fn candidates(&self, logits: &[f32]) -> Vec<(u32, f32)> {
        let p = &self.params;
        let mut c = sorted(logits);
        if p.top_k > 0 {
            c.truncate(p.top_k);
        }
        if p.top_p < 1.0 {
            let pr = probs(&c, 1.0);
            let mut cum = 0.0;
            let mut keep = c.len();
            for (i, q) in pr.iter().enumerate() {
                cum += q;
                if cum >= p.top_p as f64 {
                    keep = i + 1;
                    break;
                }
            }
            c.truncate(keep.max(1));
        }
        if p.min_p > 0.0 && !c.is_empty() {
            // p_i ≥ min_p · p_max  ⇔  logit_i ≥ logit_max + ln(min_p)
            let floor = c[0].1 as f64 + (p.min_p as f64).ln();
            c.retain(|x| x.1 as f64 >= floor);
        }
        c
    }

    /// Pick the next token. `logits` is modified (bias and penalties applied).
    /// Whether picks are a plain argmax of the model's logits (temperature 0, nothing adjusted),
    /// so the GPU can pick and only the id needs reading back.
    pub fn is_plain_greedy(&self) -> bool {
        let p = &self.params;
        p.temperature == 0.0 && p.logit_bias.is_empty() && p.repeat_penalty == 1.0 && p.presence_penalty == 0.0 && p.frequency_penalty == 0.0
    }

    pub fn sample(&mut self, logits: &mut [f32], history: &[u32], generated: usize) -> u32 {
        self.adjust(logits, history, generated);
        if self.params.temperature == 0.0 {
            return crate::generate::argmax(logits);
        }
        let c = self.candidates(logits);
        if c.is_empty() {
            return crate::generate::argmax(logits);
        }
        let pr = probs(&c, self.params.temperature as f64);
        let u = self.rng.next_f64();
        let mut cum = 0.0;
        for (i, q) in pr.iter().enumerate() {
            cum += q;
            if u < cum {
                return c[i].0;
            }
        }
        c[c.len() - 1].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler(p: SamplingParams) -> Sampler {
        Sampler::new(p, 8).unwrap()
    }

    /// ln of probabilities, so logits map to known softmax values.
    fn logits(p: &[f64]) -> Vec<f32> {
        p.iter().map(|v| v.ln() as f32).collect()
    }

    #[test]
    fn greedy_is_argmax_and_tiny_temperature_agrees() {
        let l = vec![0.1, 2.0, 2.0, -1.0, 1.9, 0.0, 0.0, 0.0];
        assert_eq!(sampler(SamplingParams::default()).sample(&mut l.clone(), &[], 0), 1);
        let mut s = sampler(SamplingParams { temperature: 1e-4, ..Default::default() });
        for _ in 0..50 {
            let id = s.sample(&mut l.clone(), &[], 0);
            assert!(id == 1 || id == 2, "{id}");
        }
        let l = vec![0.1, 2.0, 1.5, -1.0, 1.9, 0.0, 0.0, 0.0];
        let mut s = sampler(SamplingParams { temperature: 1e-3, ..Default::default() });
        assert!((0..50).all(|_| s.sample(&mut l.clone(), &[], 0) == 1));
    }

    #[test]
    fn top_k_top_p_min_p_keep_exact_sets() {
        let l = logits(&[0.05, 0.4, 0.3, 0.1, 0.08, 0.04, 0.02, 0.01]);
        let ids = |c: Vec<(u32, f32)>| c.into_iter().map(|x| x.0).collect::<Vec<_>>();
        let s = |p: SamplingParams| sampler(SamplingParams { temperature: 1.0, ..p });
        assert_eq!(ids(s(SamplingParams { top_k: 3, ..Default::default() }).candidates(&l)), vec![1, 2, 3]);
        // 0.4 + 0.3 = 0.7 < 0.75 ≤ 0.8 → three tokens.
        assert_eq!(ids(s(SamplingParams { top_p: 0.75, ..Default::default() }).candidates(&l)), vec![1, 2, 3]);
        assert_eq!(ids(s(SamplingParams { top_p: 0.35, ..Default::default() }).candidates(&l)), vec![1]);
        // min_p 0.19 → p ≥ 0.076 survive.
        assert_eq!(ids(s(SamplingParams { min_p: 0.19, ..Default::default() }).candidates(&l)), vec![1, 2, 3, 4]);
        assert_eq!(ids(s(SamplingParams { top_k: 2, min_p: 0.9, ..Default::default() }).candidates(&l)), vec![1]);
    }

    #[test]
    fn penalties_change_exactly_the_right_logits() {
        let base = vec![1.0, -1.0, 2.0, 0.5, 0.0, 0.0, 0.0, 0.0];
        let s = sampler(SamplingParams { repeat_penalty: 2.0, repeat_last_n: 3, ..Default::default() });
        let mut l = base.clone();
        s.adjust(&mut l, &[3, 0, 1, 1], 0); // last 3: 0, 1, 1
        assert_eq!(l, vec![0.5, -2.0, 2.0, 0.5, 0.0, 0.0, 0.0, 0.0]);
        let s = sampler(SamplingParams { presence_penalty: 0.5, frequency_penalty: 0.25, ..Default::default() });
        let mut l = base.clone();
        s.adjust(&mut l, &[2, 2, 3, 2], 3); // generated: 3, 2 (twice)... last 3 = [2, 3, 2]
        assert_eq!(l, vec![1.0, -1.0, 2.0 - 0.5 - 0.5, 0.5 - 0.5 - 0.25, 0.0, 0.0, 0.0, 0.0]);
        let s = sampler(SamplingParams { logit_bias: vec![(4, 100.0)], ..Default::default() });
        assert_eq!(sampler(s.params.clone()).sample(&mut base.clone(), &[], 0), 4);
    }

    #[test]
    fn fixed_seed_gives_fixed_sequence() {
        let l = logits(&[0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05]);
        let run = |seed| {
            let mut s = sampler(SamplingParams { temperature: 1.0, seed: Some(seed), ..Default::default() });
            (0..16).map(|_| s.sample(&mut l.clone(), &[], 0)).collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
        // Pinned: the same ids must come out natively and in wasm.
        assert_eq!(Rng::new(42).next_u64(), 0xBDD7_3226_2FEB_6E95);
    }

    #[test]
    fn invalid_parameters_are_errors() {
        for p in [
            SamplingParams { temperature: -0.1, ..Default::default() },
            SamplingParams { temperature: f32::NAN, ..Default::default() },
            SamplingParams { top_p: 0.0, ..Default::default() },
            SamplingParams { top_p: 1.5, ..Default::default() },
            SamplingParams { min_p: -0.1, ..Default::default() },
            SamplingParams { repeat_penalty: 0.0, ..Default::default() },
            SamplingParams { presence_penalty: 3.0, ..Default::default() },
            SamplingParams { logit_bias: vec![(99, 1.0)], ..Default::default() },
        ] {
            let e = Sampler::new(p.clone(), 8).err().unwrap_or_else(|| panic!("{p:?} accepted"));
            assert_eq!(e.code(), "InvalidArgument");
        }
    }
}
