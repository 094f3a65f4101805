import { Alert, App, Button, Card, Form, Input, Modal, Progress, Space, Table, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { ApiFailure, api, hasRoute, type SealBatch, type StaffMe } from '../../api';
import { errorText, Loadable, OutsideMeasureRow, useAsync } from '../../common';
import { fmtTime, useT } from '../../i18n';
import { certColumns, hasRole, search } from './shared';

/**
 * Pending-seal queue (Henan 2020 三(一)4: only the authorised clerk seals): select, confirm with the second factor
 * (`POST /api/v1/auth/step-up` with the TOTP code — or the password for an account without TOTP), then the batch
 * runs with live progress.
 */
export function SealQueue({ me }: { me: StaffMe }) {
  const t = useT();
  const { message } = App.useApp();
  const [tick, setTick] = useState(0);
  const st = useAsync(() => search({ status: 'pending-seal', pageSize: 100 }), [tick]);
  const stepUp = useAsync(() => hasRoute('post', '/api/v1/auth/step-up'), []);
  const [selected, setSelected] = useState<string[]>([]);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [modalErr, setModalErr] = useState<string>();
  const [elevatedUntil, setElevatedUntil] = useState<string>();
  const [batch, setBatch] = useState<SealBatch>();
  const started = useRef<{ at: number; n: number }>(undefined);
  const [err, setErr] = useState<string>();
  const canSeal = hasRole(me.roles, ['sealing-clerk']);
  useEffect(() => {
    if (batch?.status !== 'running') return;
    const h = setTimeout(async () => {
      try {
        setBatch(await api<SealBatch>(`/api/v1/seal-batches/${batch.id}`));
      } catch (e) {
        setErr(errorText(e, t));
      }
    }, 400);
    return () => clearTimeout(h);
  }, [batch, t]);
  const [settled, setSettled] = useState<string>();
  useEffect(() => {
    if (batch && batch.status !== 'running' && settled !== batch.id) {
      setSettled(batch.id);
      setTick((n) => n + 1);
      setSelected([]);
      if (batch.status === 'done') message.success(t(`签章完成：${batch.sealed} 份`, `Sealed ${batch.sealed}`));
    }
  }, [batch, settled, message, t]);

  const elevated = elevatedUntil !== undefined && new Date(elevatedUntil).getTime() > Date.now() + 5000;
  const needCode = stepUp.data === true && !elevated;
  const totp = me.totpEnabled;
  const codeLabel =
    totp === true
      ? t('动态验证码（6 位）', 'Authenticator code (6 digits)')
      : totp === false
        ? t('登录密码（本账号未绑定动态验证码）', 'Your password (this account has no authenticator)')
        : t(
            '动态验证码（未绑定动态验证码的账号输入登录密码）',
            'Authenticator code (or your password if the account has no authenticator)',
          );

  const start = async (v: { code?: string }) => {
    setModalErr(undefined);
    setBusy(true);
    try {
      if (needCode) {
        const r = await api<{ elevatedUntil: string }>('/api/v1/auth/step-up', { body: { code: v.code } });
        setElevatedUntil(r.elevatedUntil);
      }
      const b = await api<SealBatch>('/api/v1/seal-batches', { body: { certificateIds: selected } });
      started.current = { at: Date.now(), n: 0 };
      setConfirming(false);
      setErr(undefined);
      setBatch(b);
    } catch (e) {
      if (e instanceof ApiFailure && e.code === 'STEP_UP_REQUIRED') {
        // The elevation ran out (or the server asks again): the dialog asks for the code once more.
        setElevatedUntil(undefined);
        setModalErr(t('二次验证已过期，请重新输入后再签章。', 'The second factor expired; enter it again to seal.'));
      } else setModalErr(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };

  const done = batch ? batch.sealed + batch.failed : 0;
  const elapsed = started.current ? (Date.now() - started.current.at) / 1000 : 0;
  const perSecond = elapsed > 0.5 && done > 0 ? done / elapsed : undefined;
  return (
    <Card
      title={t('待签章证照', 'Certificates pending seal')}
      extra={
        <Button
          type="primary"
          disabled={!canSeal || selected.length === 0 || batch?.status === 'running'}
          onClick={() => {
            setModalErr(undefined);
            setConfirming(true);
          }}
          data-testid="seal-selected"
        >
          {t(`签章所选（${selected.length}）`, `Seal selected (${selected.length})`)}
        </Button>
      }
    >
      {!canSeal && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title={t(
            '仅缮证（签章）人员可签章；您可以查看队列。',
            'Only sealing clerks can seal; you may view the queue.',
          )}
        />
      )}
      {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginBottom: 12 }} />}
      {batch && (
        <div style={{ marginBottom: 12 }} aria-live="polite" data-testid="batch-progress">
          <Typography.Text>
            {t('签章进度', 'Sealing progress')}: {batch.sealed}/{batch.total}
            {batch.failed ? t(`，失败 ${batch.failed}`, `, failed ${batch.failed}`) : ''} —{' '}
            {batch.status === 'running'
              ? t('进行中', 'running')
              : batch.status === 'done'
                ? t('已完成', 'done')
                : t('失败', 'failed')}
            {perSecond !== undefined &&
              t(`（约 ${perSecond.toFixed(1)} 份/秒）`, ` (about ${perSecond.toFixed(1)} per second)`)}
          </Typography.Text>
          <Progress
            percent={batch.total ? Math.round((done / batch.total) * 100) : 100}
            status={batch.status === 'failed' ? 'exception' : batch.status === 'done' ? 'success' : 'active'}
            aria-label={t('签章进度', 'Sealing progress')}
          />
          {batch.lastError && <Alert type="warning" showIcon title={batch.lastError} />}
        </div>
      )}
      <Loadable state={st} what={t('待签章队列', 'pending-seal queue')}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 800 }}
            rowSelection={
              canSeal
                ? {
                    selectedRowKeys: selected,
                    onChange: (k) => setSelected(k as string[]),
                    columnTitle: (origin) => <OutsideMeasureRow>{origin}</OutsideMeasureRow>,
                    getCheckboxProps: (r) => ({
                      'aria-label': t(`选择 ${r.certificateNo}`, `Select ${r.certificateNo}`),
                    }),
                  }
                : undefined
            }
            locale={{
              emptyText: t(
                '没有待签章的证照。新登簿生成的证照会进入此队列。',
                'Nothing waits for a seal. New certificates join this queue when entries are recorded.',
              ),
            }}
            columns={certColumns(t)}
          />
        )}
      </Loadable>
      <Modal
        open={confirming}
        title={t('确认签章', 'Confirm sealing')}
        onCancel={() => setConfirming(false)}
        footer={null}
        destroyOnHidden
      >
        <Typography.Paragraph>
          {t(
            `将以本机构电子印章签署所选 ${selected.length} 份证照。`,
            `The agency seal will be applied to ${selected.length} certificate(s).`,
          )}
          {needCode && t('请先完成二次验证。', ' Confirm it is you first.')}
        </Typography.Paragraph>
        {stepUp.data === false && (
          <Alert
            type="warning"
            showIcon
            style={{ marginBottom: 12 }}
            title={t(
              '此服务器未提供签章前二次验证接口，签章将直接提交。',
              'This server offers no second-factor step before sealing; the batch starts directly.',
            )}
          />
        )}
        {elevated && (
          <Alert
            type="success"
            showIcon
            style={{ marginBottom: 12 }}
            title={t(`已通过二次验证，有效至 ${fmtTime(elevatedUntil)}`, `Verified until ${fmtTime(elevatedUntil)}`)}
          />
        )}
        {modalErr && (
          <Alert
            type="error"
            showIcon
            role="alert"
            title={modalErr}
            style={{ marginBottom: 12 }}
            data-testid="step-up-error"
          />
        )}
        <Form layout="vertical" onFinish={start} disabled={stepUp.loading}>
          {needCode && (
            <Form.Item
              label={codeLabel}
              name="code"
              rules={[
                { required: true, message: t('请输入验证码或密码', 'Enter the code or password') },
                ...(totp === true ? [{ pattern: /^\d{6}$/, message: t('应为 6 位数字', '6 digits') }] : []),
              ]}
            >
              {totp === true ? (
                <Input
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  maxLength={6}
                  autoFocus
                  data-testid="step-up-code"
                />
              ) : (
                <Input.Password autoComplete="current-password" autoFocus data-testid="step-up-code" />
              )}
            </Form.Item>
          )}
          <Space style={{ width: '100%', justifyContent: 'flex-end' }}>
            <Button onClick={() => setConfirming(false)}>{t('取消', 'Cancel')}</Button>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="confirm-seal">
              {needCode ? t('验证并签章', 'Verify and seal') : t('确认签章', 'Seal now')}
            </Button>
          </Space>
        </Form>
      </Modal>
    </Card>
  );
}
