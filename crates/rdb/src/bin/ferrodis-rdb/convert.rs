//! `convert FILE --to-version N -o OUT`: decodes every record and writes it
//! back in version N with Redis's encoding choices (to a temporary file that
//! is renamed into place once complete).

use std::io::BufWriter;

use ferrodis_rdb::{Decoder, Encoder, Options};

use crate::progress::Progress;
use crate::{open, Failure};

pub(crate) fn run(args: &[String]) -> Result<(), Failure> {
    let mut input = None;
    let mut output = None;
    let mut options = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--to-version" => {
                let v = it
                    .next()
                    .ok_or(Failure::Usage("--to-version needs N".into()))?;
                options.version = v
                    .parse()
                    .map_err(|_| Failure::Usage(format!("bad version {v:?}")))?;
            }
            "-o" | "--output" => {
                output = Some(it.next().ok_or(Failure::Usage("-o needs OUT".into()))?);
            }
            "--no-compression" => options.compression = false,
            "--no-checksum" => options.checksum = false,
            flag if flag.starts_with('-') => {
                return Err(Failure::Usage(format!("unknown option {flag:?}")))
            }
            file if input.is_none() => input = Some(file.to_owned()),
            extra => return Err(Failure::Usage(format!("unexpected argument {extra:?}"))),
        }
    }
    let input = input.ok_or(Failure::Usage("convert needs FILE".into()))?;
    let output = output.ok_or(Failure::Usage("convert needs -o OUT".into()))?;

    let (file, size) = open(&input)?;
    let tmp = format!("{output}.tmp-{}", std::process::id());
    let result = (|| -> Result<u64, Failure> {
        let out = std::fs::File::create(&tmp)?;
        let mut encoder = Encoder::new(BufWriter::new(out), options.clone())?;
        let mut decoder = Decoder::new(file);
        let mut progress = Progress::new("convert", size);
        let mut keys = 0u64;
        while let Some(item) = decoder.next_item()? {
            if let ferrodis_rdb::Item::Key(_) = item {
                keys += 1;
            }
            encoder.item(&item)?;
            progress.update(decoder.offset());
        }
        let out = encoder.finish()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(keys)
    })();
    match result {
        Ok(keys) => {
            std::fs::rename(&tmp, output)?;
            println!(
                "{input} -> {output}: {keys} keys, rdb version {}",
                options.version
            );
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(match e {
                Failure::Failed(msg) => Failure::Failed(format!("{input}: {msg}")),
                usage => usage,
            })
        }
    }
}
