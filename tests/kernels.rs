//! Kernel triads: every WGSL kernel against its CPU reference (`hearth::cpu`, and
//! `quant::dequantize` for the weight formats), over odd sizes, with and without `shader-f16`,
//! on a real adapter. GPU errors are captured by the context (`check`), so a rejected shader
//! fails the test instead of reading back zeros. Every shader variant is validated by naga.

mod common;
use hearth::cpu;
use hearth::gpu::kernels::{self, AttentionShape, RopeMode, RopeShape};
use hearth::gpu::shaders::{preprocess, Defines, SOURCES};
use hearth::gpu::{encode, Dispatch, GpuContext, GpuMatrix, GpuOptions, StackPart, Stacked, Step};
use hearth::quant::{dequantize, quantize, DType};

struct Rng(u64);
impl Rng {
    fn f32(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.f32() * scale).collect()
    }
}

fn buffer(ctx: &GpuContext, data: &[f32]) -> wgpu::Buffer {
    ctx.storage_buffer_init("test", bytemuck::cast_slice(data)).unwrap()
}

fn step_buffer(ctx: &GpuContext, n_tokens: u32, pos0: u32) -> wgpu::Buffer {
    step_buffer_for(ctx, Step { n_tokens, pos0, seq_len: n_tokens, n_seqs: 1 })
}

fn step_buffer_for(ctx: &GpuContext, step: Step) -> wgpu::Buffer {
    let b = ctx.uniform_buffer("step", 16);
    ctx.queue.write_buffer(&b, 0, bytemuck::bytes_of(&step));
    b
}

fn run(ctx: &GpuContext, d: &[Dispatch], n_tokens: u32, out: &wgpu::Buffer, len: usize) -> Vec<f32> {
    run_step(ctx, d, Step { n_tokens, pos0: 0, seq_len: n_tokens, n_seqs: 1 }, out, len)
}

fn run_step(ctx: &GpuContext, d: &[Dispatch], step: Step, out: &wgpu::Buffer, len: usize) -> Vec<f32> {
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    encode(&mut enc, d, &step).unwrap();
    ctx.queue.submit([enc.finish()]);
    let bytes = pollster::block_on(ctx.read_buffer(out, len as u64 * 4)).unwrap();
    ctx.check().expect("GPU error during the dispatch");
    bytemuck::cast_slice(&bytes).to_vec()
}

fn assert_close(name: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{name}[{i}]: gpu {g} vs cpu {w} (tol {tol})");
    }
}

/// Runs `f` with shader-f16 on and off, and without subgroups (the plain-load fallback of the
/// kernels that share loads across a subgroup); without f16 quants are read with
/// `unpack4x8unorm` (UNORM_QUANTS, as on SwiftShader), with it as the adapter chooses.
fn both_modes(f: impl Fn(&GpuContext)) {
    let unorm_quants = Some(true);
    // Prefill's rows kernel with 16 rows per invocation (lavapipe's default) and with 8, the
    // latter with the encoder's buffers of fixed lengths (`GpuContext::sized_bindings`), as on
    // SwiftShader.
    let (narrow, sized_bindings) = (Some(false), Some(true));
    for options in [GpuOptions::default(), GpuOptions { no_f16: true, unorm_quants, wide_matmul_rows: narrow, sized_bindings, ..Default::default() }, GpuOptions { no_f16: true, no_subgroups: true, unorm_quants, ..Default::default() }] {
        f(&common::gpu_with(&options));
    }
}

/// `both_modes`, then once more with block formats in GGUF's row order, the layout real GPUs get
/// (CPU emulations, where tests run, tile them: `quant::BlockOrder`).
fn weight_modes(f: impl Fn(&GpuContext)) {
    both_modes(&f);
    let ctx = common::gpu_with(&GpuOptions { untiled_weights: true, ..Default::default() });
    assert!(!ctx.tiled_weights);
    f(&ctx);
}

fn matrix(ctx: &GpuContext, rng: &mut Rng, dtype: DType, rows: usize, cols: usize) -> (GpuMatrix, Vec<f32>) {
    let raw = quantize(dtype, &rng.vec(rows * cols, 1.0));
    let m = GpuMatrix::upload(ctx, "w", dtype, rows as u64, cols as u64, &raw).unwrap();
    (m, dequantize(dtype, &raw))
}

#[test]
fn embed_dequantizes_bit_for_bit() {
    weight_modes(|ctx| {
        let mut rng = Rng(7);
        for dtype in DType::ALL {
            for (rows, cols) in [(1, 32), (7, 96), (5, 4128)] {
                let (w, truth) = matrix(ctx, &mut rng, dtype, rows, cols);
                let ids: Vec<u32> = (0..rows as u32).rev().collect();
                let ids_buf = ctx.storage_buffer_init("ids", bytemuck::cast_slice(&ids)).unwrap();
                let out = ctx.storage_buffer("out", (rows * cols * 4) as u64).unwrap();
                let d = kernels::embed(ctx, &w, &ids_buf, &out).unwrap();
                let got = run(ctx, &[d], rows as u32, &out, rows * cols);
                for (t, &id) in ids.iter().enumerate() {
                    let want = &truth[id as usize * cols..][..cols];
                    for (i, (g, w)) in got[t * cols..][..cols].iter().zip(want).enumerate() {
                        assert_eq!(g.to_bits(), w.to_bits(), "{dtype:?} {rows}x{cols} f16={}: row {id} col {i}: {g} vs {w}", ctx.f16);
                    }
                }
            }
        }
    });
}

#[test]
fn matvec_and_matmul_match_cpu() {
    let no_subgroups = common::gpu_with(&GpuOptions { no_subgroups: true, ..Default::default() });
    assert_eq!(no_subgroups.simd_subgroup(), None);
    let with = common::gpu(false);
    if with.adapter_info.name.contains("llvmpipe") {
        assert_eq!(with.simd_subgroup(), Some(8), "lavapipe has subgroups of 8: the broadcast paths must be the ones tested");
        assert!(with.wide_matmul_rows, "lavapipe's default is 16 rows per invocation; both_modes tests 8 too");
    }
    weight_modes(|ctx| {
        let mut rng = Rng(11);
        for dtype in DType::ALL {
            for (n, k, t) in [(1, 32, 1), (7, 96, 7), (33, 4128, 3), (70, 64, 33), (9, 64, 131), (5, 36, 2)] {
                if k % 32 != 0 && dtype.is_quantized() {
                    continue;
                }
                let (w, wf) = matrix(ctx, &mut rng, dtype, n, k);
                let x = rng.vec(t * k, 1.0);
                let y0 = rng.vec(t * n, 1.0);
                let bias = rng.vec(n, 1.0);
                let want = cpu::matmul(&x, &wf, k);
                let want_acc: Vec<f32> = want.iter().zip(&y0).map(|(a, b)| a + b).collect();
                let want_bias_acc: Vec<f32> = want_acc.iter().enumerate().map(|(i, a)| a + bias[i % n]).collect();
                let bias_buf = buffer(ctx, &bias);
                let tol = 2e-5 * (k as f32).sqrt();
                let xb = buffer(ctx, &x);
                let step = step_buffer(ctx, t as u32, 0);
                for (acc, bias) in [(false, None), (true, None), (true, Some(&bias_buf))] {
                    let reference = match (acc, bias.is_some()) {
                        (false, _) => &want,
                        (true, false) => &want_acc,
                        (true, true) => &want_bias_acc,
                    };
                    let y = buffer(ctx, &y0);
                    let d = kernels::matmul_tiled(ctx, &step, &xb, &y, &w, bias, acc).unwrap();
                    assert_close(&format!("matmul {dtype:?} n{n} k{k} t{t} acc={acc}"), &run(ctx, &[d], t as u32, &y, t * n), reference, tol);
                    let y = buffer(ctx, &y0);
                    let d = kernels::matvec_lanes(ctx, &xb, &y, &w, bias, acc).unwrap();
                    assert_close(&format!("matvec {dtype:?} n{n} k{k} t{t} acc={acc}"), &run(ctx, &[d], t as u32, &y, t * n), reference, tol);
                    let y = buffer(ctx, &y0);
                    let d = kernels::matmul_rows(ctx, &step, &xb, &y, &w, bias, acc).unwrap();
                    assert_close(&format!("matmul_rows {dtype:?} n{n} k{k} t{t} acc={acc}"), &run(ctx, &[d], t as u32, &y, t * n), reference, tol);
                    // x, y, W and the bias of fixed lengths where `sized_bindings` (both_modes' second set)
                    let y = buffer(ctx, &y0);
                    let d = kernels::matmul_sized(ctx, &step, &xb, &y, &w, bias, acc).unwrap();
                    assert_close(&format!("matmul_sized {dtype:?} n{n} k{k} t{t} acc={acc} sized={}", ctx.sized_bindings), &run(ctx, &[d], t as u32, &y, t * n), reference, tol);
                    let y = buffer(ctx, &y0);
                    let d = kernels::matvec_rows(ctx, &xb, &y, &w, bias, acc).unwrap();
                    assert_close(&format!("matvec_rows {dtype:?} n{n} k{k} t{t} acc={acc}"), &run(ctx, &[d], t as u32, &y, t * n), reference, tol);
                }
            }
        }
    });
}

#[test]
fn rms_norm_matches_cpu() {
    both_modes(|ctx| {
        let mut rng = Rng(3);
        for (n, t) in [(1, 1), (7, 3), (576, 5), (4097, 2)] {
            // Large values, as the model's residual stream has (|x| up to 2.5e4).
            let x = rng.vec(n * t, 3e4);
            let gamma = rng.vec(n, 2.0);
            let want = cpu::rms_norm(&x, &gamma, 1e-5);
            let (xb, gb) = (buffer(ctx, &x), buffer(ctx, &gamma));
            let step = step_buffer(ctx, t as u32, 0);
            let out = ctx.storage_buffer("out", (n * t * 4) as u64).unwrap();
            let d = kernels::rms_norm(ctx, &step, &xb, &out, &gb, n as u32, 1e-5, false).unwrap();
            assert_close(&format!("rms_norm n{n} t{t}"), &run(ctx, &[d], t as u32, &out, n * t), &want, 1e-5);
            let out = ctx.storage_buffer("out", (n * 4) as u64).unwrap();
            let d = kernels::rms_norm(ctx, &step, &xb, &out, &gb, n as u32, 1e-5, true).unwrap();
            assert_close(&format!("rms_norm last n{n} t{t}"), &run(ctx, &[d], t as u32, &out, n), &want[(t - 1) * n..], 1e-5);
        }
    });
}

/// Decode's fused RMSNorm (`matvec_norm`, `matvec_swiglu_norm`) against cpu::rms_norm then
/// cpu::matmul, every format, with and without accumulation.
#[test]
fn matvec_norm_matches_cpu() {
    weight_modes(|ctx| {
        let mut rng = Rng(29);
        let eps = 1e-5;
        for dtype in DType::ALL {
            for (n, k, t) in [(1, 32, 1), (33, 576, 1), (70, 96, 3), (5, 36, 2)] {
                if k % 32 != 0 && dtype.is_quantized() {
                    continue;
                }
                let (w, wf) = matrix(ctx, &mut rng, dtype, n, k);
                // Large values, as the model's residual stream has.
                let x = rng.vec(t * k, 3e4);
                let gamma = rng.vec(k, 2.0);
                let y0 = rng.vec(t * n, 1.0);
                let want = cpu::matmul(&cpu::rms_norm(&x, &gamma, eps), &wf, k);
                let want_acc: Vec<f32> = want.iter().zip(&y0).map(|(a, b)| a + b).collect();
                let (xb, gb) = (buffer(ctx, &x), buffer(ctx, &gamma));
                let tol = 4e-5 * (k as f32).sqrt();
                let name = format!("matvec_norm {dtype:?} n{n} k{k} t{t}");
                for (acc, reference) in [(false, &want), (true, &want_acc)] {
                    let y = buffer(ctx, &y0);
                    let d = kernels::matvec_norm(ctx, &xb, &y, &w, kernels::Norm { gamma: &gb, eps }, acc).unwrap();
                    assert_close(&format!("{name} acc={acc}"), &run(ctx, &[d], t as u32, &y, t * n), reference, tol);
                }
            }
        }
        for (f, k, t) in [(6, 64, 1), (70, 576, 1), (36, 32, 2)] {
            let raw = quantize(DType::Q4_1, &rng.vec(2 * f * k, 1.0));
            let x = rng.vec(t * k, 3e4);
            let gamma = rng.vec(k, 2.0);
            let both = cpu::matmul(&cpu::rms_norm(&x, &gamma, eps), &dequantize(DType::Q4_1, &raw), k);
            let (mut gate, mut up) = (Vec::new(), Vec::new());
            for row in both.chunks(2 * f) {
                gate.extend_from_slice(&row[..f]);
                up.extend_from_slice(&row[f..]);
            }
            let want = cpu::swiglu(&gate, &up);
            let w = GpuMatrix::upload(ctx, "gate_up", DType::Q4_1, 2 * f as u64, k as u64, &raw).unwrap();
            let (xb, gb) = (buffer(ctx, &x), buffer(ctx, &gamma));
            let act = ctx.storage_buffer("act", (t * f * 4) as u64).unwrap();
            let d = kernels::matvec_swiglu_norm(ctx, &xb, &act, &w, kernels::Norm { gamma: &gb, eps }).unwrap();
            assert_close(&format!("matvec_swiglu_norm f{f} k{k} t{t}"), &run(ctx, &[d], t as u32, &act, t * f), &want, 4e-5 * (k as f32).sqrt());
        }
    });
}

#[test]
fn rope_matches_cpu() {
    both_modes(|ctx| {
        let mut rng = Rng(5);
        for mode in [RopeMode::Normal, RopeMode::Neox] {
            for (heads, head_dim, n_rot, t, pos0) in [(1, 2, 2, 1, 0), (3, 64, 64, 7, 5), (2, 80, 32, 4, 100)] {
                let shape = RopeShape { heads, head_dim, n_rot, mode };
                let ctx_len = 128u32;
                let table = kernels::rope_table(ctx_len, n_rot, 10000.0, 1.0);
                let x = rng.vec((heads * head_dim) as usize * t, 2.0);
                let want = cpu::rope(&x, shape, pos0, &table);
                let tb = ctx.storage_buffer_init("table", bytemuck::cast_slice(&table)).unwrap();
                let (xb, step) = (buffer(ctx, &x), step_buffer(ctx, t as u32, pos0));
                let out = ctx.storage_buffer("out", x.len() as u64 * 4).unwrap();
                let d = kernels::rope(ctx, &step, &xb, &out, &tb, shape, false).unwrap();
                assert_close(&format!("rope {mode:?} {shape:?}"), &run(ctx, &[d], t as u32, &out, x.len()), &want, 1e-6);
                // Into a cache at rows pos0.. .
                let row = (heads * head_dim) as usize;
                let cache = ctx.storage_buffer("cache", (ctx_len as usize * row * 4) as u64).unwrap();
                let d = kernels::rope(ctx, &step, &xb, &cache, &tb, shape, true).unwrap();
                let got = run(ctx, &[d], t as u32, &cache, ctx_len as usize * row);
                assert_close("rope to cache", &got[pos0 as usize * row..][..x.len()], &want, 1e-6);
                // The fused q/k/v step: x as q (H heads), k with KVH = 1 head, v copied.
                let kv_shape = RopeShape { heads: 1, ..shape };
                let k = rng.vec(head_dim as usize * t, 2.0);
                let v = rng.vec(head_dim as usize * t, 2.0);
                let want_k = cpu::rope(&k, kv_shape, pos0, &table);
                let kv_row = head_dim as usize;
                // Rows qkv[t] = (q[t], k[t], v[t]), as the stacked projection writes them.
                let (qd, kd) = (row, kv_row);
                let qkv: Vec<f32> = (0..t).flat_map(|i| [&x[i * qd..][..qd], &k[i * kd..][..kd], &v[i * kd..][..kd]].concat()).collect();
                let q_rot = ctx.storage_buffer("q_rot", x.len() as u64 * 4).unwrap();
                let k_cache = ctx.storage_buffer("k_cache", (ctx_len as usize * kv_row * 4) as u64).unwrap();
                let v_cache = ctx.storage_buffer("v_cache", (ctx_len as usize * kv_row * 4) as u64).unwrap();
                let d = kernels::rope_qkv(ctx, &step, &buffer(ctx, &qkv), &q_rot, &k_cache, &v_cache, &tb, shape, 1).unwrap();
                assert_close("rope_qkv q", &run(ctx, &[d], t as u32, &q_rot, x.len()), &want, 1e-6);
                let got_k = pollster::block_on(ctx.read_buffer(&k_cache, (ctx_len as usize * kv_row * 4) as u64)).unwrap();
                let got_k: &[f32] = bytemuck::cast_slice(&got_k);
                assert_close("rope_qkv k", &got_k[pos0 as usize * kv_row..][..k.len()], &want_k, 1e-6);
                let got_v = pollster::block_on(ctx.read_buffer(&v_cache, (ctx_len as usize * kv_row * 4) as u64)).unwrap();
                let got_v: &[f32] = bytemuck::cast_slice(&got_v);
                assert_eq!(&got_v[pos0 as usize * kv_row..][..v.len()], &v[..], "rope_qkv v copied exactly");
            }
        }
    });
}

#[test]
fn swiglu_matches_cpu() {
    both_modes(|ctx| {
        let mut rng = Rng(9);
        for (f, t) in [(4, 1), (4100, 3)] {
            let gate = rng.vec(f * t, 8.0);
            let up = rng.vec(f * t, 2.0);
            let want = cpu::swiglu(&gate, &up);
            let gate_up: Vec<f32> = (0..t).flat_map(|i| [&gate[i * f..][..f], &up[i * f..][..f]].concat()).collect();
            let step = step_buffer(ctx, t as u32, 0);
            let out = ctx.storage_buffer("out", (f * t * 4) as u64).unwrap();
            let d = kernels::swiglu(ctx, &step, &buffer(ctx, &gate_up), &out, f as u32).unwrap();
            assert_close(&format!("swiglu f{f}"), &run(ctx, &[d], t as u32, &out, f * t), &want, 1e-5);
        }
    });
}

/// Stacked projections: one matrix (gate|up with SwiGLU fused into the rows kernels) and,
/// when formats differ, parts writing their column ranges of one activation row.
#[test]
fn stacked_projections_match_cpu() {
    weight_modes(|ctx| {
        let mut rng = Rng(23);
        for (f, k, t) in [(6, 64, 1), (70, 96, 5), (36, 32, 1), (10, 32, 70)] {
            let gate_raw = quantize(DType::Q4_1, &rng.vec(f * k, 1.0));
            let up_raw = quantize(DType::Q4_1, &rng.vec(f * k, 1.0));
            let x = rng.vec(t * k, 1.0);
            let gate = cpu::matmul(&x, &dequantize(DType::Q4_1, &gate_raw), k);
            let up = cpu::matmul(&x, &dequantize(DType::Q4_1, &up_raw), k);
            let want = cpu::swiglu(&gate, &up);
            let parts: [StackPart; 2] = [("gate", DType::Q4_1, f as u64, gate_raw[..].into()), ("up", DType::Q4_1, f as u64, up_raw[..].into())];
            let w = match Stacked::upload(ctx, "gate_up", &parts, k as u64).unwrap() {
                Stacked::One(w) => w,
                Stacked::Parts(_) => panic!("same formats must stack into one matrix"),
            };
            let (xb, step) = (buffer(ctx, &x), step_buffer(ctx, t as u32, 0));
            let tol = 2e-5 * (k as f32).sqrt();
            let act = ctx.storage_buffer("act", (t * f * 4) as u64).unwrap();
            let d = kernels::matvec_swiglu(ctx, &xb, &act, &w).unwrap();
            assert_close(&format!("matvec_swiglu f{f} k{k} t{t}"), &run(ctx, &[d], t as u32, &act, t * f), &want, tol);
            let act = ctx.storage_buffer("act", (t * f * 4) as u64).unwrap();
            let d = kernels::matmul_swiglu(ctx, &step, &xb, &act, &w).unwrap();
            assert_close(&format!("matmul_swiglu f{f} k{k} t{t}"), &run(ctx, &[d], t as u32, &act, t * f), &want, tol);

            // Mixed formats: gate Q4_1 and up Q8_0 write their halves of each gate_up row.
            let up8 = quantize(DType::Q8_0, &rng.vec(f * k, 1.0));
            let up = cpu::matmul(&x, &dequantize(DType::Q8_0, &up8), k);
            let want: Vec<f32> = (0..t).flat_map(|i| [&gate[i * f..][..f], &up[i * f..][..f]].concat()).collect();
            let parts: [StackPart; 2] = [("gate", DType::Q4_1, f as u64, gate_raw[..].into()), ("up", DType::Q8_0, f as u64, up8[..].into())];
            let Stacked::Parts(ms) = Stacked::upload(ctx, "gate_up", &parts, k as u64).unwrap() else { panic!("mixed formats must stay apart") };
            for kernel in ["matvec_rows", "matvec_lanes", "matmul_rows", "matmul_tiled"] {
                let y = ctx.storage_buffer("gate_up", (t * 2 * f * 4) as u64).unwrap();
                let ds: Vec<Dispatch> = ms.iter().map(|m| match kernel {
                    "matvec_rows" => kernels::matvec_rows(ctx, &xb, &y, m, None, false),
                    "matvec_lanes" => kernels::matvec_lanes(ctx, &xb, &y, m, None, false),
                    "matmul_rows" => kernels::matmul_rows(ctx, &step, &xb, &y, m, None, false),
                    _ => kernels::matmul_tiled(ctx, &step, &xb, &y, m, None, false),
                }.unwrap()).collect();
                assert_close(&format!("{kernel} parts f{f} k{k} t{t}"), &run(ctx, &ds, t as u32, &y, t * 2 * f), &want, tol);
            }
        }
    });
}

#[test]
fn layer_norm_and_gelu_match_cpu() {
    both_modes(|ctx| {
        let mut rng = Rng(17);
        for (n, t) in [(4, 1), (7, 3), (384, 5), (4097, 2)] {
            let x: Vec<f32> = rng.vec(n * t, 20.0).iter().map(|v| v + 3.0).collect();
            let (gamma, beta) = (rng.vec(n, 2.0), rng.vec(n, 1.0));
            let want = cpu::layer_norm(&x, &gamma, &beta, 1e-12);
            let step = step_buffer(ctx, t as u32, 0);
            let out = ctx.storage_buffer("out", (n * t * 4) as u64).unwrap();
            let d = kernels::layer_norm(ctx, &step, &buffer(ctx, &x), &out, &buffer(ctx, &gamma), &buffer(ctx, &beta), n as u32, 1e-12).unwrap();
            assert_close(&format!("layer_norm n{n} t{t}"), &run(ctx, &[d], t as u32, &out, n * t), &want, 2e-5);
        }
        for (f, t) in [(4, 1), (1540, 3)] {
            let x = rng.vec(f * t, 6.0);
            let want = cpu::gelu(&x);
            let step = step_buffer(ctx, t as u32, 0);
            let out = ctx.storage_buffer("out", (f * t * 4) as u64).unwrap();
            let d = kernels::gelu(ctx, &step, &buffer(ctx, &x), &out, f as u32).unwrap();
            assert_close(&format!("gelu f{f}"), &run(ctx, &[d], t as u32, &out, f * t), &want, 1e-5);
        }
    });
}

/// The matrix kernels' fused GELU output (BERT's intermediate projection): gelu(x·Wᵀ + bias).
#[test]
fn matmul_gelu_matches_cpu() {
    weight_modes(|ctx| {
        let mut rng = Rng(23);
        for dtype in [DType::F16, DType::Q8_0, DType::F32] {
            for (rows, cols, t) in [(96, 64, 5), (1536, 384, 33), (40, 64, 67)] {
                let (w, truth) = matrix(ctx, &mut rng, dtype, rows, cols);
                let x = rng.vec(t * cols, 1.0);
                let bias = rng.vec(rows, 1.0);
                let pre: Vec<f32> = cpu::matmul(&x, &truth, cols).chunks(rows).flat_map(|r| r.iter().zip(&bias).map(|(v, b)| v + b).collect::<Vec<_>>()).collect();
                let want = cpu::gelu(&pre);
                let step = step_buffer(ctx, t as u32, 0);
                let out = ctx.storage_buffer("out", (rows * t * 4) as u64).unwrap();
                let d = kernels::matmul_gelu(ctx, &step, &buffer(ctx, &x), &out, &w, Some(&buffer(ctx, &bias))).unwrap();
                assert_close(&format!("matmul_gelu {} {rows}x{cols} t{t}", dtype.name()), &run(ctx, &[d], t as u32, &out, rows * t), &want, 1e-4);
            }
        }
    });
}

#[test]
fn attention_matches_cpu() {
    both_modes(|ctx| {
        let mut rng = Rng(13);
        for (heads, kv_heads, head_dim, t, pos0) in [(1, 1, 4, 1, 0), (4, 2, 64, 7, 0), (9, 3, 64, 1, 130), (2, 1, 80, 5, 61), (2, 2, 256, 3, 70), (3, 1, 64, 19, 5), (8, 2, 64, 2, 40), (8, 1, 32, 3, 9), (6, 1, 256, 1, 33)] {
            let s = AttentionShape { heads, kv_heads, head_dim, scale: 1.0 / (head_dim as f32).sqrt() };
            let n_keys = pos0 + t;
            let q = rng.vec((heads * head_dim) as usize * t, 2.0);
            let kc = rng.vec((kv_heads * head_dim) as usize * n_keys, 2.0);
            let vc = rng.vec((kv_heads * head_dim) as usize * n_keys, 1.0);
            let want = cpu::attention(&q, &kc, &vc, s, pos0);
            let step = step_buffer(ctx, t as u32, pos0 as u32);
            let out = ctx.storage_buffer("out", q.len() as u64 * 4).unwrap();
            let (qb, kb, vb) = (buffer(ctx, &q), buffer(ctx, &kc), buffer(ctx, &vc));
            let d = kernels::attention_tiled(ctx, &step, &qb, &out, &kb, &vb, s).unwrap();
            assert_close(&format!("attention {s:?} t{t} pos0 {pos0}"), &run(ctx, &[d], t as u32, &out, q.len()), &want, 2e-5);
            let out = ctx.storage_buffer("out", q.len() as u64 * 4).unwrap();
            let d = kernels::attention_rows(ctx, &step, &qb, &out, &kb, &vb, s).unwrap();
            assert_close(&format!("attention_rows {s:?} t{t} pos0 {pos0}"), &run(ctx, &[d], t as u32, &out, q.len()), &want, 2e-5);
            // every number of query heads per invocation the KV group allows where rows are shared
            let shared = (head_dim == 64 || head_dim == 32) && ctx.simd_subgroup().is_some();
            for qpw in (2..=4).filter(|&n| shared && (heads / kv_heads) % n == 0) {
                let out = ctx.storage_buffer("out", q.len() as u64 * 4).unwrap();
                let d = kernels::attention_rows_heads(ctx, &step, &qb, &out, &kb, &vb, s, qpw).unwrap();
                assert_close(&format!("attention_rows QPW {qpw} {s:?} t{t} pos0 {pos0}"), &run(ctx, &[d], t as u32, &out, q.len()), &want, 2e-5);
            }
            let out = ctx.storage_buffer("out", q.len() as u64 * 4).unwrap();
            let d = kernels::attention_split(ctx, &step, &qb, &out, &kb, &vb, s).unwrap();
            assert_close(&format!("attention_split {s:?} t{t} pos0 {pos0}"), &run(ctx, &[d], t as u32, &out, q.len()), &want, 2e-5);
            for wg in [4, 8, 32] {
                let d = kernels::attention_split_wg(ctx, &step, &qb, &out, &kb, &vb, s, wg).unwrap();
                assert_close(&format!("attention_split WG {wg} {s:?} t{t} pos0 {pos0}"), &run(ctx, &[d], t as u32, &out, q.len()), &want, 2e-5);
                // every number of query heads per workgroup the KV group allows
                for qpw in (1..=4).filter(|&n| (heads / kv_heads) % n == 0 && (n == 1 || head_dim == 64) && wg * n * (head_dim * 4 + 8) <= 16384) {
                    let d = kernels::attention_split_heads(ctx, &step, &qb, &out, &kb, &vb, s, wg, qpw).unwrap();
                    assert_close(&format!("attention_split WG {wg} QPW {qpw} {s:?} t{t} pos0 {pos0}"), &run(ctx, &[d], t as u32, &out, q.len()), &want, 2e-5);
                }
            }
        }
    });
}

/// Decode attention with its keys in chunks (flash-decoding across workgroups) and the chunks'
/// partial results merged by the o projection's x loads: attention_split_parts then
/// matvec_merge against cpu::attention then cpu::matmul (+ the residual), with and without rope
/// folded in, at context lengths of one chunk and of several.
#[test]
fn split_decode_attention_merges_in_the_o_projection() {
    let ran = std::cell::Cell::new(0);
    weight_modes(|ctx| {
        let mut rng = Rng(41);
        for (heads, kv_heads, hd) in [(9, 3, 64), (8, 2, 64), (4, 4, 64), (8, 1, 32)] {
            let s = AttentionShape { heads, kv_heads, head_dim: hd, scale: 1.0 / (hd as f32).sqrt() };
            let split = kernels::decode_key_split(ctx, s);
            if split < 2 {
                continue;
            }
            ran.set(ran.get() + 1);
            let rope = RopeShape { heads, head_dim: hd, n_rot: hd, mode: RopeMode::Normal };
            let ctx_len = 600u32;
            let table = kernels::rope_table(ctx_len, hd, 10000.0, 1.0);
            let tb = ctx.storage_buffer_init("table", bytemuck::cast_slice(&table)).unwrap();
            let (qd, kd) = ((heads * hd) as usize, (kv_heads * hd) as usize);
            let (w, w_truth) = matrix(ctx, &mut rng, DType::Q4_1, 96, qd);
            for pos0 in [0u32, 5, 127, 128, 300, 599] {
                for fold in [false, true].into_iter().filter(|&f| !f || kernels::rope_foldable(ctx, s, rope)) {
                    let (q, k, v) = (rng.vec(qd, 2.0), rng.vec(kd, 2.0), rng.vec(kd, 1.0));
                    let mut kc = rng.vec(kd * ctx_len as usize, 2.0);
                    let mut vc = rng.vec(kd * ctx_len as usize, 1.0);
                    let (kb, vb) = (buffer(ctx, &kc), buffer(ctx, &vc));
                    // With rope folded in the kernel ropes q and the new key and writes the caches' row pos0.
                    let (q_in, q_used) = if fold {
                        let k_rot = cpu::rope(&k, RopeShape { heads: kv_heads, ..rope }, pos0, &table);
                        let row = pos0 as usize * kd;
                        kc[row..row + kd].copy_from_slice(&k_rot);
                        vc[row..row + kd].copy_from_slice(&v);
                        ([&q[..], &k[..], &v[..]].concat(), cpu::rope(&q, rope, pos0, &table))
                    } else {
                        (q.clone(), q.clone())
                    };
                    let n_keys = pos0 as usize + 1;
                    let attn = cpu::attention(&q_used, &kc[..n_keys * kd], &vc[..n_keys * kd], s, pos0 as usize);
                    let residual = rng.vec(96, 1.0);
                    let want: Vec<f32> = cpu::matmul(&attn, &w_truth, qd).iter().zip(&residual).map(|(a, r)| a + r).collect();
                    let step = step_buffer(ctx, 1, pos0);
                    let parts = ctx.storage_buffer("parts", kernels::split_parts_bytes(s, split)).unwrap();
                    let y = buffer(ctx, &residual);
                    let d = kernels::attention_split_parts(ctx, &step, &buffer(ctx, &q_in), &parts, &kb, &vb, fold.then_some((&tb, rope)), s, split).unwrap();
                    let o = kernels::matvec_merge(ctx, &parts, &y, &w, split, hd, true).unwrap();
                    let mut enc = ctx.device.create_command_encoder(&Default::default());
                    encode(&mut enc, &[d, o], &Step { n_tokens: 1, pos0, seq_len: 1, n_seqs: 1 }).unwrap();
                    ctx.queue.submit([enc.finish()]);
                    let got = pollster::block_on(ctx.read_buffer(&y, 96 * 4)).unwrap();
                    ctx.check().expect("GPU error during the dispatch");
                    assert_close(&format!("split {split} attention + o projection {s:?} pos0 {pos0} rope {fold}"), bytemuck::cast_slice(&got), &want, 1e-4);
                    if fold {
                        for (name, buf, truth) in [("k", &kb, &kc), ("v", &vb, &vc)] {
                            let got = pollster::block_on(ctx.read_buffer(buf, (kd * ctx_len as usize * 4) as u64)).unwrap();
                            assert_close(&format!("split {split} {name} cache {s:?} pos0 {pos0}"), bytemuck::cast_slice(&got), truth, 1e-6);
                        }
                    }
                }
            }
        }
    });
    assert!(ran.get() > 0, "no adapter mode split decode attention (it needs subgroups of 4 or 8)");
}

/// Decode attention with rope_qkv folded in: the output against cpu::rope then cpu::attention,
/// and the new key (rotated) and value written into the caches' row pos0.
#[test]
fn attention_split_rope_matches_cpu() {
    both_modes(|ctx| {
        let mut rng = Rng(31);
        for (heads, kv_heads, pos0) in [(9, 3, 0), (9, 3, 130), (4, 2, 7), (8, 2, 40), (4, 4, 3)] {
            let hd = 64;
            let s = AttentionShape { heads, kv_heads, head_dim: hd, scale: 0.125 };
            let rope = RopeShape { heads, head_dim: hd, n_rot: hd, mode: RopeMode::Normal };
            assert!(kernels::rope_foldable(ctx, s, rope), "{s:?} must be foldable");
            let ctx_len = 160u32;
            let table = kernels::rope_table(ctx_len, hd, 10000.0, 1.0);
            let (qd, kd) = ((heads * hd) as usize, (kv_heads * hd) as usize);
            let (q, k, v) = (rng.vec(qd, 2.0), rng.vec(kd, 2.0), rng.vec(kd, 1.0));
            let qkv = [&q[..], &k[..], &v[..]].concat();
            let mut kc = rng.vec(kd * ctx_len as usize, 2.0);
            let mut vc = rng.vec(kd * ctx_len as usize, 1.0);
            let (kb, vb) = (buffer(ctx, &kc), buffer(ctx, &vc));
            let q_rot = cpu::rope(&q, rope, pos0, &table);
            let k_rot = cpu::rope(&k, RopeShape { heads: kv_heads, ..rope }, pos0, &table);
            let row = pos0 as usize * kd;
            kc[row..row + kd].copy_from_slice(&k_rot);
            vc[row..row + kd].copy_from_slice(&v);
            let n_keys = pos0 as usize + 1;
            let want = cpu::attention(&q_rot, &kc[..n_keys * kd], &vc[..n_keys * kd], s, pos0 as usize);
            let tb = ctx.storage_buffer_init("table", bytemuck::cast_slice(&table)).unwrap();
            let step = step_buffer(ctx, 1, pos0);
            let out = ctx.storage_buffer("out", qd as u64 * 4).unwrap();
            let d = kernels::attention_split_rope(ctx, &step, &buffer(ctx, &qkv), &out, &kb, &vb, &tb, s, rope).unwrap();
            let mut enc = ctx.device.create_command_encoder(&Default::default());
            encode(&mut enc, &[d], &Step { n_tokens: 1, pos0, seq_len: 1, n_seqs: 1 }).unwrap();
            ctx.queue.submit([enc.finish()]);
            let got = pollster::block_on(ctx.read_buffer(&out, qd as u64 * 4)).unwrap();
            ctx.check().expect("GPU error during the dispatch");
            assert_close(&format!("attention_split_rope {s:?} pos0 {pos0}"), bytemuck::cast_slice(&got), &want, 2e-5);
            for (name, buf, truth) in [("k", &kb, &kc), ("v", &vb, &vc)] {
                let got = pollster::block_on(ctx.read_buffer(buf, (kd * ctx_len as usize * 4) as u64)).unwrap();
                let got: &[f32] = bytemuck::cast_slice(&got);
                assert_close(&format!("attention_split_rope {name} cache {s:?} pos0 {pos0}"), got, truth, 1e-6);
            }
        }
    });
}

#[test]
fn encoder_attention_pool_and_add_rows_match_cpu() {
    use hearth::gpu::kernels::Pooling;
    both_modes(|ctx| {
        let mut rng = Rng(19);
        // Packed batches: sequence b holds lens[b] consecutive tokens; the longest decides the
        // grid, the others' tiles past their end must do nothing.
        for (heads, head_dim, lens) in [(1u32, 4u32, vec![1u32]), (12, 32, vec![7, 2, 5]), (12, 32, vec![3, 17, 9, 1]), (2, 64, vec![70, 1, 66])] {
            let s = AttentionShape { heads, kv_heads: heads, head_dim, scale: 1.0 / (head_dim as f32).sqrt() };
            let t: usize = lens.iter().map(|&n| n as usize).sum();
            let seq_len = *lens.iter().max().unwrap();
            let step = Step { n_tokens: t as u32, pos0: 0, seq_len, n_seqs: lens.len() as u32 };
            let step_buf = step_buffer_for(ctx, step);
            let spans: Vec<[u32; 2]> = cpu::spans(&lens).into_iter().map(|(start, n)| [start as u32, n as u32]).collect();
            let spans = ctx.storage_buffer_init("spans", bytemuck::cast_slice(&spans)).unwrap();
            let w = (heads * head_dim) as usize;
            let (q, k, v) = (rng.vec(t * w, 2.0), rng.vec(t * w, 2.0), rng.vec(t * w, 1.0));
            let want = cpu::encoder_attention(&q, &k, &v, s, &lens);
            let (qb, kb, vb) = (buffer(ctx, &q), buffer(ctx, &k), buffer(ctx, &v));
            for (name, launch) in [("tiled", kernels::encoder_attention_tiled as EncoderAttention), ("rows", kernels::encoder_attention_rows)] {
                let out = ctx.storage_buffer("out", (t * w * 4) as u64).unwrap();
                let d = launch(ctx, &step_buf, &qb, &out, &kb, &vb, &spans, s).unwrap();
                assert_close(&format!("encoder attention {name} {s:?} {lens:?}"), &run_step(ctx, &[d], step, &out, t * w), &want, 2e-5);
            }

            for mode in [Pooling::Mean, Pooling::Cls, Pooling::Last] {
                for normalize in [false, true] {
                    let want = cpu::pool(&q, w, &lens, mode, normalize);
                    let out = ctx.storage_buffer("pooled", (lens.len() * w * 4) as u64).unwrap();
                    let d = kernels::pool(ctx, &buffer(ctx, &q), &out, &spans, w as u32, mode, normalize).unwrap();
                    assert_close(&format!("pool {mode:?} norm={normalize} {lens:?}"), &run_step(ctx, &[d], step, &out, lens.len() * w), &want, 1e-5);
                }
            }

            let table = rng.vec(seq_len as usize * w, 1.0);
            let mut want = q.clone();
            cpu::add_rows(&mut want, &table, w, &lens);
            let x = buffer(ctx, &q);
            let d = kernels::add_rows(ctx, &step_buf, &x, &buffer(ctx, &table), &spans, w as u32).unwrap();
            assert_close(&format!("add_rows {lens:?}"), &run_step(ctx, &[d], step, &x, t * w), &want, 1e-6);
        }
    });
}

type EncoderAttention = fn(&GpuContext, &wgpu::Buffer, &wgpu::Buffer, &wgpu::Buffer, &wgpu::Buffer, &wgpu::Buffer, &wgpu::Buffer, AttentionShape) -> hearth::error::Result<Dispatch>;

/// Every define combination the launchers can produce parses and validates with naga.
/// What `GpuContext::subgroup_defines` adds for subgroups of `sg` lanes.
fn subgroups(d: Defines, sg: u32) -> Defines {
    d.flag("SUBGROUPS").u32("SG", sg).flag(if sg == 8 { "SG8" } else { "SG4" })
}

#[test]
fn every_shader_variant_validates() {
    let mut variants: Vec<(&str, Defines)> = Vec::new();
    for f16 in [false, true] {
        let base = || Defines::default().flag_if(f16, "F16");
        for dtype in DType::ALL {
            let tilings: &[bool] = if dtype.is_quantized() { &[false, true] } else { &[false] };
            for &tiled in tilings {
                for bias in [false, true] {
                    let d = hearth::gpu::weights::weight_defines(dtype).flag_if(f16, "F16").flag_if(bias, "BIAS").flag_if(tiled, "W_TILED");
                    for shader in ["matvec.wgsl", "matvec_rows.wgsl", "matmul_rows.wgsl", "matmul.wgsl"] {
                        variants.push((shader, d.clone()));
                        if matches!(dtype, DType::F16 | DType::BF16) {
                            variants.push((shader, d.clone().flag("W_ALIGNED16")));
                        }
                    }
                    for shader in ["matvec_rows.wgsl", "matmul_rows.wgsl"] {
                        for sg in [4, 8] {
                            variants.push((shader, subgroups(d.clone(), sg)));
                        }
                    }
                    // 16 rows per invocation (GpuContext::wide_matmul_rows), plain and with GELU
                    for gelu in [false, true] {
                        let wide = d.clone().flag("ROWS16").flag_if(gelu, "GELU");
                        variants.push(("matmul_rows.wgsl", wide.clone()));
                        for sg in [4, 8] {
                            variants.push(("matmul_rows.wgsl", subgroups(wide.clone(), sg)));
                        }
                    }
                    // decode's o projection merging split attention's partials
                    let merge = d.clone().u32("X_SPLIT", 2).u32("X_HD4", 16);
                    variants.push(("matvec_rows.wgsl", merge.clone()));
                    for sg in [4, 8] {
                        variants.push(("matvec_rows.wgsl", subgroups(merge.clone(), sg)));
                    }
                    // BERT's intermediate projection, GELU fused into the output
                    for shader in ["matmul_rows.wgsl", "matmul.wgsl"] {
                        variants.push((shader, d.clone().flag("GELU")));
                    }
                    // x, y, W and the bias of fixed lengths (GpuContext::sized_bindings), plain and with GELU
                    for gelu in [false, true] {
                        let sized = d.clone().u32("X_LEN", 96).u32("Y_LEN", 1024).u32("W_LEN", 4096).u32("B_LEN", 64).flag_if(gelu, "GELU");
                        variants.push(("matmul_rows.wgsl", sized.clone()));
                        variants.push(("matmul_rows.wgsl", subgroups(sized, 4)));
                    }
                    for sg in [4, 8] {
                        variants.push(("matmul_rows.wgsl", subgroups(d.clone().flag("GELU"), sg)));
                    }
                    let norm = d.clone().flag("NORM").f32("EPS", 1e-5);
                    variants.push(("matvec_rows.wgsl", norm.clone()));
                    for sg in [4, 8] {
                        variants.push(("matvec_rows.wgsl", subgroups(norm.clone(), sg)));
                    }
                }
            }
            for &tiled in tilings {
                variants.push(("embed.wgsl", hearth::gpu::weights::weight_defines(dtype).flag_if(f16, "F16").flag_if(tiled, "W_TILED")));
            }
        }
        for (last, vec4) in [(false, false), (true, false), (false, true), (true, true)] {
            variants.push(("rms_norm.wgsl", base().u32("N", 576).f32("EPS", 1e-5).flag_if(last, "LAST_ROW").flag_if(vec4, "VEC4")));
            for sg in [4, 8] {
                variants.push(("rms_norm.wgsl", subgroups(base().u32("N", 576).f32("EPS", 1e-5).flag_if(last, "LAST_ROW").flag_if(vec4, "VEC4"), sg)));
            }
        }
        for neox in [false, true] {
            for cache in [false, true] {
                variants.push(("rope.wgsl", base().u32("H", 9).u32("HD", 64).u32("N_ROT", 64).flag_if(neox, "NEOX").flag_if(cache, "TO_CACHE")));
                variants.push(("rope_qkv.wgsl", base().u32("H", 9).u32("KVH", 3).u32("HD", 64).u32("N_ROT", 32).flag_if(neox, "NEOX")));
            }
        }
        variants.push(("attention.wgsl", base().u32("H", 9).u32("KVH", 3).u32("HD", 64).f32("SCALE", 0.125)));
        for wg in [4, 8, 32] {
            for qpw in [1, 3] {
                let d = base().u32("H", 9).u32("KVH", 3).u32("HD", 64).f32("SCALE", 0.125).u32("WG", wg).u32("QPW", qpw).flag_if(qpw == 3, "QH1").flag_if(qpw == 3, "QH2");
                if qpw == 1 {
                    variants.push(("attention_split.wgsl", d.clone()));
                }
                variants.push(("attention_split.wgsl", d.clone().flag("HD64")));
                if wg != 32 {
                    if qpw == 1 {
                        variants.push(("attention_split.wgsl", subgroups(d.clone(), wg)));
                    }
                    variants.push(("attention_split.wgsl", subgroups(d.flag("HD64"), wg)));
                }
            }
        }
        variants.push(("attention_split.wgsl", base().u32("H", 8).u32("KVH", 2).u32("HD", 64).f32("SCALE", 0.125).u32("WG", 4).u32("QPW", 4).flag("QH1").flag("QH2").flag("QH3").flag("HD64")));
        for wg in [4, 8] {
            let d = base().u32("H", 9).u32("KVH", 3).u32("HD", 64).f32("SCALE", 0.125).u32("WG", wg).u32("QPW", 3).flag("QH1").flag("QH2").flag("HD64").flag("ROPE_IN");
            variants.push(("attention_split.wgsl", d.clone()));
            variants.push(("attention_split.wgsl", subgroups(d.clone(), wg)));
            // keys in chunks (decode, merged by the o projection): with and without rope folded in
            variants.push(("attention_split.wgsl", subgroups(d.u32("SPLIT", 2), wg)));
            variants.push(("attention_split.wgsl", subgroups(base().u32("H", 9).u32("KVH", 3).u32("HD", 64).f32("SCALE", 0.125).u32("WG", wg).u32("QPW", 3).flag("QH1").flag("QH2").flag("HD64").u32("SPLIT", 2), wg)));
            variants.push(("attention_split.wgsl", subgroups(base().u32("H", 8).u32("KVH", 1).u32("HD", 32).f32("SCALE", 0.17).u32("WG", wg).u32("QPW", 1).u32("SPLIT", 2), wg)));
        }
        variants.push(("attention_rows.wgsl", base().u32("H", 9).u32("KVH", 3).u32("HD", 64).f32("SCALE", 0.125).u32("QPW", 1)));
        for sg in [4, 8] {
            variants.push(("attention_rows.wgsl", subgroups(base().u32("H", 9).u32("KVH", 3).u32("HD", 64).f32("SCALE", 0.125).u32("QPW", 1), sg)));
            variants.push(("attention_rows.wgsl", subgroups(base().u32("H", 9).u32("KVH", 3).u32("HD", 64).f32("SCALE", 0.125).u32("QPW", 3).flag("QH1").flag("QH2"), sg)));
            variants.push(("attention_rows.wgsl", subgroups(base().u32("H", 8).u32("KVH", 2).u32("HD", 64).f32("SCALE", 0.125).u32("QPW", 4).flag("QH1").flag("QH2").flag("QH3"), sg)));
        }
        variants.push(("swiglu.wgsl", base().u32("F", 1536)));
        for vec4 in [false, true] {
            variants.push(("layer_norm.wgsl", base().u32("N", 384).f32("EPS", 1e-12).flag_if(vec4, "VEC4")));
            for sg in [4, 8] {
                variants.push(("layer_norm.wgsl", subgroups(base().u32("N", 384).f32("EPS", 1e-12).flag_if(vec4, "VEC4"), sg)));
            }
            // activations of a fixed length (GpuContext::sized_bindings)
            variants.push(("layer_norm.wgsl", subgroups(base().u32("N", 384).f32("EPS", 1e-12).flag_if(vec4, "VEC4").u32("ACT_LEN", 960), 4)));
        }
        variants.push(("gelu.wgsl", base().u32("F", 1536)));
        variants.push(("attention.wgsl", base().u32("H", 12).u32("KVH", 12).u32("HD", 32).f32("SCALE", 0.17).flag("ENCODER")));
        variants.push(("attention_rows.wgsl", base().u32("H", 12).u32("KVH", 12).u32("HD", 32).f32("SCALE", 0.17).u32("QPW", 1).flag("ENCODER")));
        for sg in [4, 8] {
            // 32-wide heads with shared rows: MiniLM's encoder, and a decoder with 2 heads a group
            variants.push(("attention_rows.wgsl", subgroups(base().u32("H", 12).u32("KVH", 12).u32("HD", 32).f32("SCALE", 0.17).u32("QPW", 1).flag("HD32").flag("ENCODER"), sg)));
            variants.push(("attention_rows.wgsl", subgroups(base().u32("H", 8).u32("KVH", 4).u32("HD", 32).f32("SCALE", 0.17).u32("QPW", 2).flag("QH1").flag("HD32"), sg)));
            variants.push(("attention_rows.wgsl", subgroups(base().u32("H", 2).u32("KVH", 2).u32("HD", 64).f32("SCALE", 0.125).u32("QPW", 1).flag("ENCODER"), sg)));
        }
        // MiniLM's encoder attention with activations of a fixed length (GpuContext::sized_bindings)
        variants.push(("attention_rows.wgsl", subgroups(base().u32("H", 12).u32("KVH", 12).u32("HD", 32).f32("SCALE", 0.17).u32("QPW", 1).flag("HD32").flag("ENCODER").u32("ACT_LEN", 960), 4)));
        variants.push(("add_rows.wgsl", base().u32("W", 384)));
        variants.push(("argmax.wgsl", base().u32("N", 49152)));
        for sg in [4, 8] {
            variants.push(("argmax.wgsl", subgroups(base().u32("N", 49152), sg)));
        }
        variants.push(("limits_read.wgsl", base()));
        variants.push(("limits_read.wgsl", base().flag("CONTIG")));
        variants.push(("limits_fma.wgsl", base()));
        for pool in ["POOL_MEAN", "POOL_CLS", "POOL_LAST"] {
            for norm in [false, true] {
                variants.push(("pool.wgsl", base().u32("D", 384).flag(pool).flag_if(norm, "NORMALIZE")));
            }
        }
    }
    // Every shader file (not include-only helpers) is covered.
    for (name, _) in SOURCES.iter().filter(|(n, _)| !n.starts_with("common/")) {
        assert!(variants.iter().any(|(v, _)| v == name), "{name} has no variant under validation");
    }
    for (name, defines) in variants {
        let code = preprocess(name, &defines).unwrap();
        let module = naga::front::wgsl::parse_str(&code).unwrap_or_else(|e| panic!("{name} {defines:?}: {}", e.emit_to_string(&code)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{name} {defines:?}: {e:?}"));
    }
}

#[test]
fn argmax_matches_cpu() {
    both_modes(|ctx| {
        let mut rng = Rng(0xa11ce);
        let mut cases = Vec::new();
        for n in [1usize, 7, 256, 257, 49152] {
            let mut x = rng.vec(n, 10.0);
            // A tie at the top (the lower index must win) and a NaN (must never win).
            if n > 8 {
                let top = x.iter().cloned().fold(f32::MIN, f32::max) + 1.0;
                x[n / 2] = top;
                x[n - 3] = top;
                x[2] = f32::NAN;
            }
            cases.push((format!("{n} values"), x));
        }
        // Signs and zeros (the subgroup merge compares order keys of the bits): all negative
        // with a tie, −0 before +0 as the maximum (equal: the lower index wins), all NaN.
        let mut negative: Vec<f32> = (0..300).map(|i| -1.0 - (i % 17) as f32).collect();
        negative[250] = -0.5;
        negative[290] = -0.5;
        cases.push(("negatives".into(), negative));
        let mut zeros = vec![-1.0f32; 300];
        zeros[5] = -0.0;
        zeros[3] = 0.0;
        zeros[200] = -0.0;
        cases.push(("zeros".into(), zeros.clone()));
        zeros[3] = -2.0;
        cases.push(("−0 then +0".into(), zeros));
        cases.push(("all NaN".into(), vec![f32::NAN; 100]));
        // NaN first in every invocation's stride: each must still find its own best.
        let mut nan_first: Vec<f32> = (0..1000).map(|i| (i % 13) as f32).collect();
        nan_first[..64].fill(f32::NAN);
        nan_first[901] = 20.0;
        cases.push(("NaN first".into(), nan_first));
        for (what, x) in cases {
            let xb = buffer(ctx, &x);
            let out = ctx.storage_buffer("out", 4).unwrap();
            let d = kernels::argmax(ctx, &xb, &out, x.len() as u32).unwrap();
            let got = run(ctx, &[d], 1, &out, 1)[0].to_bits();
            assert_eq!(got, hearth::generate::argmax(&x), "argmax of {what}");
        }
    });
}

#[test]
fn device_limits_are_measured() {
    // The bandwidth kernel's sums are checked inside `measure` (an error if any chunk was skipped).
    let ctx = common::gpu(true);
    let l = pollster::block_on(hearth::gpu::limits::measure(&ctx, 8, 1)).unwrap();
    assert_eq!(l.read_mib, 8);
    assert_eq!(l.read_patterns.len(), 2);
    assert!(l.read_gbps > 0.01 && l.read_gbps < 1e4, "read {} GB/s", l.read_gbps);
    assert!(l.fma_gflops > 0.1 && l.fma_gflops < 1e6, "fma {} GFLOP/s", l.fma_gflops);
}
