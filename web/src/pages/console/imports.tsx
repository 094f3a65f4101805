import { InboxOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Col,
  Progress,
  Row,
  Space,
  Statistic,
  Steps,
  Table,
  Typography,
  Upload,
} from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, hasRoute, upload } from '../../api';
import { errorText, Loadable, NotOnServer, ToneTag, useAsync } from '../../common';
import { fmtTime, useT } from '../../i18n';
import type { T } from './shared';

export type ImportStatus = 'validating' | 'invalid' | 'importing' | 'sealing' | 'done' | 'failed';
export interface ImportProblem {
  row: number;
  field?: string | null;
  code: string;
  message: string;
  messageEn: string;
}
export interface StockImport {
  id?: string;
  importId?: string;
  status: ImportStatus;
  total: number;
  valid: number;
  invalid: number;
  imported: number;
  replayed?: number;
  sealed: number;
  problems: ImportProblem[];
  rejectsUrl?: string | null;
  fileName?: string | null;
  createdAt?: string | null;
  finishedAt?: string | null;
  error?: string | null;
}
const RUNNING: ImportStatus[] = ['validating', 'importing', 'sealing'];

const STATUS_NAMES = (t: T): Record<ImportStatus, string> => ({
  validating: t('校验中', 'Validating'),
  invalid: t('校验未通过', 'Invalid'),
  importing: t('导入中', 'Importing'),
  sealing: t('签章中', 'Sealing'),
  done: t('已完成', 'Done'),
  failed: t('失败', 'Failed'),
});
export function ImportStatusTag({ s }: { s: ImportStatus }) {
  const t = useT();
  const tone = s === 'done' ? 'ok' : s === 'invalid' || s === 'failed' ? 'bad' : 'info';
  return (
    <ToneTag tone={tone} testId="import-status">
      {STATUS_NAMES(t)[s] ?? s}
    </ToneTag>
  );
}

const TYPES: Record<string, string> = {
  csv: 'text/csv',
  json: 'application/json',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * Stock import (Henan 三(一)3: the stock since unified registration is collected and sealed in one pass): the file
 * goes up as the request body, every row is validated first (the report lists row, field and message), then valid
 * rows are imported and sealed with live progress.
 */
export function StockImportPage() {
  const t = useT();
  const { id } = useParams();
  const nav = useNavigate();
  const ready = useAsync(
    async () => ({
      upload: await hasRoute('post', '/api/v1/imports/stock'),
      list: await hasRoute('get', '/api/v1/imports'),
    }),
    [],
  );
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string>();
  const [historyTick, setHistoryTick] = useState(0);
  const [skipInvalid, setSkipInvalid] = useState(false);
  const [seal, setSeal] = useState(true);
  const settled = useCallback(() => setHistoryTick((n) => n + 1), []);
  const send = async (file: File) => {
    const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
    const type = TYPES[ext];
    if (!type) {
      setErr(t('仅支持 CSV、XLSX 或 JSON 文件', 'Only CSV, XLSX or JSON files'));
      return;
    }
    setBusy(true);
    setErr(undefined);
    try {
      const r = await upload<{ importId: string }>('/api/v1/imports/stock', file, type, {
        fileName: file.name,
        ...(skipInvalid ? { skipInvalid: 'true' } : {}),
        ...(seal ? {} : { seal: 'false' }),
      });
      setHistoryTick((n) => n + 1);
      nav(`/console/import/${r.importId}`);
    } catch (e) {
      setErr(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Loadable state={ready} what={t('存量导入', 'stock import')}>
      {(r) =>
        !r.upload ? (
          <Card title={t('存量证照导入', 'Stock import')}>
            <NotOnServer what={t('存量导入（网页上传）', 'stock import upload')} />
            <Typography.Paragraph type="secondary" style={{ textAlign: 'center' }}>
              {t(
                '可使用命令行：bdcert import-stock <文件> --agency <机构>，生成同样的校验报告。',
                'Use the CLI meanwhile: bdcert import-stock <file> --agency <agency>, which prints the same report.',
              )}
            </Typography.Paragraph>
          </Card>
        ) : (
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            <Card title={t('存量证照导入', 'Stock import')}>
              <Typography.Paragraph type="secondary">
                {t(
                  '上传数据整理人员按模板（附件2 中文表头）准备的 CSV、XLSX 或 JSON 文件。系统先逐行校验，全部通过后导入并签章；有错误的文件不导入，请按报告修改后重新上传。',
                  'Upload the CSV, XLSX or JSON file prepared with the template (附件2 Chinese headers). Every row is validated first; only a file without errors is imported and sealed — fix the rows in the report and upload again.',
                )}
              </Typography.Paragraph>
              <Space wrap style={{ marginBottom: 12 }}>
                <Checkbox checked={skipInvalid} onChange={(e) => setSkipInvalid(e.target.checked)}>
                  {t(
                    '跳过有问题的行（导入有效行，问题行生成拒绝文件）',
                    'Skip rows with problems (import the valid ones, rejects file for the rest)',
                  )}
                </Checkbox>
                <Checkbox checked={seal} onChange={(e) => setSeal(e.target.checked)}>
                  {t('导入后立即签章', 'Seal right after the import')}
                </Checkbox>
              </Space>
              <Upload.Dragger
                accept=".csv,.xlsx,.json"
                showUploadList={false}
                disabled={busy}
                customRequest={({ file }) => void send(file as File)}
                data-testid="import-upload"
              >
                <p style={{ fontSize: 32, color: '#1456c8', margin: 0 }}>
                  <InboxOutlined />
                </p>
                <p>
                  {busy
                    ? t('上传中…', 'Uploading…')
                    : t('点击或拖入 CSV / XLSX / JSON 文件', 'Click or drop a CSV / XLSX / JSON file')}
                </p>
              </Upload.Dragger>
              {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginTop: 12 }} />}
            </Card>
            {id && <ImportProgress id={id} onSettled={settled} />}
            {r.list && <ImportHistory tick={historyTick} current={id} />}
          </Space>
        )
      }
    </Loadable>
  );
}

function ImportProgress({ id, onSettled }: { id: string; onSettled: () => void }) {
  const t = useT();
  const [imp, setImp] = useState<StockImport>();
  const [err, setErr] = useState<string>();
  const first = useRef<{ at: number; n: number }>(undefined);
  const [perSecond, setPerSecond] = useState<number>();
  useEffect(() => {
    let live = true;
    let h: ReturnType<typeof setTimeout>;
    first.current = undefined;
    setImp(undefined);
    setPerSecond(undefined);
    const poll = async () => {
      try {
        const r = await api<StockImport>(`/api/v1/imports/${id}`);
        if (!live) return;
        setErr(undefined);
        setImp(r);
        // Rows per second over the import and sealing phases (validation is fast and not counted).
        const n = r.imported + r.sealed;
        const now = Date.now();
        if (r.status === 'importing' || r.status === 'sealing') {
          if (!first.current) first.current = { at: now, n };
          else if (now > first.current.at) setPerSecond(((n - first.current.n) * 1000) / (now - first.current.at));
        }
        if (RUNNING.includes(r.status)) h = setTimeout(poll, 700);
        else onSettled();
      } catch (e) {
        if (!live) return;
        setErr(errorText(e, t));
        h = setTimeout(poll, 2000);
      }
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(h);
    };
  }, [id, t, onSettled]);
  const names = STATUS_NAMES(t);
  if (!imp)
    return (
      <Card title={t('导入进度', 'Import progress')}>
        {err ? (
          <Alert type="error" showIcon role="alert" title={err} />
        ) : (
          <Typography.Text>{t('加载中…', 'Loading…')}</Typography.Text>
        )}
      </Card>
    );
  // Too quick to sample while running: the rate over the whole run, from its timestamps.
  const overall =
    perSecond === undefined && imp.finishedAt && imp.createdAt && imp.imported > 0
      ? (imp.imported * 1000) / Math.max(1, new Date(imp.finishedAt).getTime() - new Date(imp.createdAt).getTime())
      : undefined;
  const shownRate = perSecond ?? overall;
  const step = { validating: 0, invalid: 0, importing: 1, sealing: 2, done: 3, failed: 1 }[imp.status] ?? 0;
  const pct = (a: number, b: number) => (b > 0 ? Math.min(100, Math.round((a / b) * 100)) : 0);
  return (
    <Card
      title={t('导入进度', 'Import progress')}
      extra={<ImportStatusTag s={imp.status} />}
      data-testid="import-progress"
    >
      <Space orientation="vertical" size={16} style={{ width: '100%' }}>
        {err && <Alert type="warning" showIcon title={err} />}
        <Steps
          size="small"
          current={step}
          status={
            imp.status === 'invalid' || imp.status === 'failed' ? 'error' : imp.status === 'done' ? 'finish' : 'process'
          }
          items={[
            { title: t('校验', 'Validate') },
            { title: t('导入', 'Import') },
            { title: t('签章', 'Seal') },
            { title: t('完成', 'Done') },
          ]}
        />
        <Row gutter={[16, 16]}>
          {(
            [
              [t('总行数', 'Rows'), imp.total],
              [t('有效', 'Valid'), imp.valid],
              [t('有问题', 'With problems'), imp.invalid],
              [t('已导入', 'Imported'), imp.imported],
              [t('已签章', 'Sealed'), imp.sealed],
            ] as const
          ).map(([title, v]) => (
            <Col xs={12} sm={8} lg={4} key={title}>
              <Statistic title={title} value={v} />
            </Col>
          ))}
          <Col xs={12} sm={8} lg={4}>
            <Statistic
              title={t('速率（行/秒）', 'Rate (rows/s)')}
              value={shownRate === undefined ? '—' : shownRate.toFixed(1)}
            />
          </Col>
        </Row>
        <div aria-live="polite">
          <Typography.Text>
            {t('导入', 'Imported')} {imp.imported}/{imp.valid}
          </Typography.Text>
          <Progress
            percent={pct(imp.imported, imp.valid)}
            status={imp.status === 'failed' ? 'exception' : imp.status === 'importing' ? 'active' : undefined}
            aria-label={t('导入进度', 'Import progress')}
          />
          <Typography.Text>
            {t('签章', 'Sealed')} {imp.sealed}/{imp.valid}
          </Typography.Text>
          <Progress
            percent={pct(imp.sealed, imp.valid)}
            status={imp.status === 'failed' ? 'exception' : imp.status === 'sealing' ? 'active' : undefined}
            aria-label={t('签章进度', 'Sealing progress')}
          />
        </div>
        {imp.status === 'invalid' && (
          <Alert
            type="error"
            showIcon
            title={t(
              `校验未通过：${imp.invalid} 行有问题，文件未导入。请按下表修改后重新上传。`,
              `Validation failed: ${imp.invalid} row(s) have problems; nothing was imported. Fix them and upload again.`,
            )}
          />
        )}
        {imp.status === 'done' && (
          <Alert
            type="success"
            showIcon
            title={t(
              `已导入 ${imp.imported} 份，已签章 ${imp.sealed} 份。`,
              `Imported ${imp.imported}, sealed ${imp.sealed}.`,
            )}
          />
        )}
        {imp.status === 'failed' && (
          <Alert type="error" showIcon title={t('导入失败', 'Import failed')} description={imp.error ?? undefined} />
        )}
        <Card
          size="small"
          title={t(`校验报告（${imp.problems.length} 项）`, `Validation report (${imp.problems.length})`)}
          extra={
            imp.rejectsUrl && (
              <Button size="small" href={imp.rejectsUrl}>
                {t('下载问题行', 'Download rejected rows')}
              </Button>
            )
          }
        >
          <Table
            rowKey={(p) => `${p.row}-${p.field ?? ''}-${p.code}`}
            size="small"
            dataSource={imp.problems}
            scroll={{ x: 700 }}
            pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
            data-testid="import-problems"
            locale={{
              emptyText:
                imp.status === 'validating' ? t('校验中…', 'Validating…') : t('未发现问题', 'No problems found'),
            }}
            columns={[
              { title: t('行号', 'Row'), dataIndex: 'row', width: 80 },
              { title: t('字段', 'Field'), dataIndex: 'field', width: 160, render: (v: string | null) => v ?? '—' },
              {
                title: t('问题', 'Problem'),
                render: (_, p) => t(p.message, p.messageEn || p.message),
              },
              { title: t('代码', 'Code'), dataIndex: 'code', width: 200 },
            ]}
          />
        </Card>
        <Typography.Text type="secondary">
          {names[imp.status]} · {t('导入编号', 'Import')} {id}
        </Typography.Text>
      </Space>
    </Card>
  );
}

function ImportHistory({ tick, current }: { tick: number; current: string | undefined }) {
  const t = useT();
  const nav = useNavigate();
  const st = useAsync(() => api<{ items: StockImport[] }>('/api/v1/imports'), [tick]);
  return (
    <Card title={t('导入记录', 'Earlier imports')} size="small">
      <Loadable state={st} what={t('导入记录', 'imports')}>
        {(d) => (
          <Table
            rowKey={(r) => r.id ?? r.importId ?? ''}
            size="small"
            dataSource={d.items}
            scroll={{ x: 700 }}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            locale={{ emptyText: t('暂无导入记录', 'No imports yet') }}
            rowClassName={(r) => ((r.id ?? r.importId) === current ? 'ant-table-row-selected' : '')}
            columns={[
              { title: t('时间', 'When'), dataIndex: 'createdAt', render: fmtTime },
              { title: t('文件', 'File'), dataIndex: 'fileName', render: (v: string | null) => v ?? '—' },
              { title: t('状态', 'Status'), render: (_, r) => <ImportStatusTag s={r.status} /> },
              { title: t('总行数', 'Rows'), dataIndex: 'total' },
              { title: t('有问题', 'Problems'), dataIndex: 'invalid' },
              { title: t('已签章', 'Sealed'), dataIndex: 'sealed' },
              {
                title: t('操作', 'Action'),
                render: (_, r) => (
                  <Button size="small" onClick={() => nav(`/console/import/${r.id ?? r.importId}`)}>
                    {t('查看', 'Open')}
                  </Button>
                ),
              },
            ]}
          />
        )}
      </Loadable>
    </Card>
  );
}
