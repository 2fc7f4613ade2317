//! The checked-in PTX must match the kernels the Rust side launches (regenerate with
//! `scripts/build-ptx.sh` after editing `kernels/*.cu`).

use stepcoder_kernels::{PTX_ENTRIES, PTX_GAE, PTX_LOGPROB, PTX_PPO_LOSS};

#[test]
fn every_launched_kernel_is_an_entry_of_the_checked_in_ptx() {
    for (module, names) in PTX_ENTRIES {
        let ptx = match *module {
            "logprob" => PTX_LOGPROB,
            "ppo_loss" => PTX_PPO_LOSS,
            "gae" => PTX_GAE,
            other => panic!("unknown module {other}"),
        };
        for name in *names {
            assert!(
                ptx.contains(&format!(".visible .entry {name}(")),
                "{module}.ptx lacks entry {name}"
            );
        }
    }
}

#[test]
fn ptx_isa_is_accepted_by_the_gpu_driver() {
    // Driver 580 (the GPU machines) accepts PTX ISA up to 9.0: nvcc 13.0 is pinned for that.
    for ptx in [PTX_LOGPROB, PTX_PPO_LOSS, PTX_GAE] {
        let version = ptx
            .lines()
            .find_map(|l| l.strip_prefix(".version "))
            .expect("PTX has a .version line");
        let (major, minor) = version.trim().split_once('.').expect("major.minor");
        let v = (major.parse::<u32>().unwrap(), minor.parse::<u32>().unwrap());
        assert!(v <= (9, 0), "PTX ISA {version} is newer than 9.0");
    }
}
